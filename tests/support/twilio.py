"""A local stand-in for Twilio's REST API (Messages.json, Calls.json).

It checks Basic auth (AccountSid:AuthToken) and the form parameters the way
Twilio does, records every request, can be told to fail calls or texts to a
number, or to answer a call with a signed `no-answer` status callback. It
also records Slack-style chat webhook posts on /chat.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+15550009999"

REQUIRED = {"Messages.json": ("To", "From", "Body"), "Calls.json": ("To", "From", "Twiml")}


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class TwilioStandIn:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[dict[str, str]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)
    fail_to: set[str] = field(default_factory=set)  # HTTP 500 for these numbers
    reject_to: set[str] = field(default_factory=set)  # HTTP 400 (invalid number)
    no_answer_to: set[str] = field(default_factory=set)  # call accepted, then no-answer
    callbacks: list[int] = field(default_factory=list)  # status codes our callbacks got
    _runner: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/{resource}", self._create)
        app.router.add_post("/chat", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> TwilioStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def calls(self, to: str | None = None) -> list[dict[str, str]]:
        return [
            r for r in self.requests if r["_resource"] == "Calls.json" and to in (None, r["To"])
        ]

    def texts(self, to: str | None = None) -> list[dict[str, str]]:
        return [
            r for r in self.requests if r["_resource"] == "Messages.json" and to in (None, r["To"])
        ]

    async def _create(self, request: web.Request) -> web.Response:
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        if request.headers.get("Authorization") != expected:
            return _error(401, 20003, "Authenticate")
        resource = request.match_info["resource"]
        if request.match_info["sid"] != self.account_sid or resource not in REQUIRED:
            return _error(404, 20404, "The requested resource was not found")
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        missing = [name for name in REQUIRED[resource] if not form.get(name)]
        if missing:
            return _error(400, 21604, f"A '{missing[0]}' parameter is required.")
        sid = ("CA" if resource == "Calls.json" else "SM") + f"{next(self._ids):032x}"
        self.requests.append({**form, "_resource": resource, "_sid": sid})
        if form["To"] in self.reject_to:
            return _error(400, 21211, "The 'To' number is not a valid phone number.")
        if form["To"] in self.fail_to:
            return _error(500, 20500, "Internal Server Error")
        if (
            resource == "Calls.json"
            and form["To"] in self.no_answer_to
            and "StatusCallback" in form
        ):
            task = asyncio.create_task(self._no_answer(form["StatusCallback"], sid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"sid": sid, "status": "queued", "to": form["To"]}, status=201)

    async def _no_answer(self, url: str, sid: str) -> None:
        await asyncio.sleep(0.2)
        params = {"CallSid": sid, "CallStatus": "no-answer", "AccountSid": self.account_sid}
        headers = {"X-Twilio-Signature": sign(self.auth_token, url, params)}
        async with ClientSession() as session, session.post(url, data=params, headers=headers) as r:
            self.callbacks.append(r.status)

    async def _chat(self, request: web.Request) -> web.Response:
        self.chats.append(await request.json())
        return web.Response(text="ok")


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "status": status}, status=status)
