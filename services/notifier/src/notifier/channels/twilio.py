"""SMS and voice calls through Twilio's REST API (form-encoded, Basic auth)."""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

import aiohttp

from notifier.channels import DeliveryFailed
from notifier.rendering import Notice


class TwilioClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._base = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._from = from_number
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def create(self, resource: str, form: dict[str, str]) -> str:
        """POST to Messages.json or Calls.json; return the new resource's sid."""
        form = {"From": self._from, **form}
        try:
            async with self._session.post(
                f"{self._base}/{resource}", data=form, headers=self._headers, timeout=self._timeout
            ) as response:
                payload = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryFailed(f"twilio: {type(exc).__name__}") from exc
        if status >= 400:
            code = payload.get("code") if isinstance(payload, dict) else None
            # 4xx other than throttling means the request itself is wrong.
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryFailed(f"twilio: HTTP {status} code {code}", permanent=permanent)
        sid = payload.get("sid") if isinstance(payload, dict) else None
        if not isinstance(sid, str):
            raise DeliveryFailed("twilio: no sid in answer")
        return sid


def _callback(form: dict[str, str], status_callback: str | None) -> dict[str, str]:
    if status_callback:
        form["StatusCallback"] = status_callback
    return form


class TwilioSms:
    def __init__(self, client: TwilioClient) -> None:
        self._client = client

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        form = _callback({"To": address, "Body": notice.short}, status_callback)
        return await self._client.create("Messages.json", form)


def twiml(notice: Notice) -> str:
    said = escape(notice.spoken)
    return f'<Response><Say>{said}</Say><Pause length="1"/><Say>{said}</Say></Response>'


class TwilioVoice:
    def __init__(self, client: TwilioClient) -> None:
        self._client = client

    async def send(self, address: str, notice: Notice, *, status_callback: str | None) -> str:
        form = _callback({"To": address, "Twiml": twiml(notice)}, status_callback)
        return await self._client.create("Calls.json", form)
