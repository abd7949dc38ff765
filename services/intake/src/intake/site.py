"""The people-facing side: the example form page, its static files, the thank-you
page, and the security headers every answer carries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from intake.pages import Assets, FormPage, thank_you_page
from intake.responses import HTML
from shared.forms import FormKind

FORM_PAGE_PATH = "/"
THANKS_PATH = "/v1/thanks"
STATIC_PREFIX = "/static/"

_STATIC_TYPES = {
    "form.js": "text/javascript; charset=utf-8",
    "form.css": "text/css; charset=utf-8",
}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    version: str


def load_static() -> dict[str, StaticFile]:
    """The static files shipped inside the package, each with a content hash."""
    folder = resources.files("intake").joinpath("static")
    files = {}
    for name, content_type in _STATIC_TYPES.items():
        body = folder.joinpath(name).read_bytes()
        files[name] = StaticFile(body, content_type, hashlib.sha256(body).hexdigest()[:12])
    return files


def assets_for(files: Mapping[str, StaticFile]) -> Assets:
    # The version in the query string changes with the content, so the files
    # can be cached for long without a stale script outliving a deploy.
    return Assets(
        stylesheet=f"{STATIC_PREFIX}form.css?v={files['form.css'].version}",
        script=f"{STATIC_PREFIX}form.js?v={files['form.js'].version}",
    )


def form_page_for(
    form_paths: Mapping[FormKind, str], honeypot_field: str, files: Mapping[str, StaticFile]
) -> FormPage:
    return FormPage(form_paths, honeypot_field, assets_for(files))


def add_site_routes(
    app: web.Application, form_page: FormPage, files: Mapping[str, StaticFile]
) -> None:
    async def index(_: web.Request) -> web.Response:
        return web.Response(
            text=form_page.render(), headers={"Content-Type": HTML, "Cache-Control": "no-store"}
        )

    async def thanks(_: web.Request) -> web.Response:
        return web.Response(text=thank_you_page(form_page.assets), headers={"Content-Type": HTML})

    def static(item: StaticFile) -> Handler:
        async def serve(_: web.Request) -> web.StreamResponse:
            return web.Response(
                body=item.body,
                headers={
                    "Content-Type": item.content_type,
                    "Cache-Control": "public, max-age=86400",
                    "ETag": f'"{item.version}"',
                },
            )

        return serve

    app.router.add_get(FORM_PAGE_PATH, index)
    app.router.add_get(THANKS_PATH, thanks)
    for name, item in files.items():
        app.router.add_get(f"{STATIC_PREFIX}{name}", static(item))


def content_security_policy(thank_you_url: str) -> str:
    """Scripts and styles from this origin only; no inline code, no framing.

    A browser checks form-action also against the redirect after the post, so
    an absolute thank-you URL's origin is allowed there too.
    """
    form_action = ["'self'"]
    target = urlsplit(thank_you_url)
    if target.scheme and target.netloc:
        form_action.append(f"{target.scheme}://{target.netloc}")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            f"form-action {' '.join(form_action)}",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def security_headers_middleware(csp: str) -> Middleware:
    @web.middleware
    async def secure(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.content_type == "text/html":
            response.headers.setdefault("Content-Security-Policy", csp)
            # Nothing about a person's visit leaks to other sites.
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return secure
