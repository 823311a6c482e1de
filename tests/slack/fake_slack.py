"""A fake Slack on 127.0.0.1: the Web API methods Lessonloop calls, `response_url`s, the
OAuth token exchange, and (through `fake_socket`) Socket Mode.

It records every call, keeps each conversation as a Slack client would show it (messages
replaced by `chat.update`, ephemeral answers per learner), and refuses any message or view
that breaks Block Kit's limits, remembering the violation so a test fails even when the
adapter only logs the refusal. A method can be told to answer 429 with `Retry-After`, to
answer slowly (a call whose caller is gone by the time it would answer does nothing, so a
process killed while its call stalls has not replied), or to fail as Slack behind a proxy
does in an outage (`fail`). Like Slack, `chat.postMessage` to a user id posts in their DM
with the app.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from tests.slack.block_kit import message_problems, view_problems
from tests.slack.fake_records import APP_ID, BOT_ID, BOT_USER, Call, Json, Message, Person, Responder
from tests.slack.fake_socket import SocketModeServer

STOP_WAIT_S = 1.0
"""How long `stop` waits for calls still in progress."""

Failure = Literal["text/plain", "html-as-json", "disconnect"]
"""How a call fails: a 503 with a `text/plain` body (Envoy's "upstream connect error"), a
502 HTML page sent as `application/json`, or the connection closed without an answer."""


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    messages: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))
    views: dict[tuple[str, str], Json] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    """Bot token → its workspace."""
    app_tokens: set[str] = field(default_factory=set)
    client: tuple[str, str] | None = None
    """The OAuth client id and secret `oauth.v2.access` accepts."""
    url: str = ""

    def __post_init__(self) -> None:
        self.socket = SocketModeServer(APP_ID)
        self._codes: dict[str, tuple[str, str]] = {}
        self._limited: dict[str, list[int]] = defaultdict(list)
        self._delays: dict[str, float] = {}
        self._failures: dict[str, Failure] = {}
        self._responders: dict[str, Responder] = {}
        self._serial = itertools.count(1)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/link", self.socket.handle)
        # A call stalled by `delay` whose caller was killed is abandoned at `stop`, rather
        # than waited for (aiohttp waits 60 s by default).
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=STOP_WAIT_S)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # --- set-up and inspection -------------------------------------------------------

    def add_workspace(self, team: str, bot_token: str) -> None:
        self.tokens[bot_token] = team

    def allow_install(self, code: str, team: str, bot_token: str) -> None:
        """An authorisation `code` that `oauth.v2.access` exchanges for `bot_token` in `team`."""
        self._codes[code] = (team, bot_token)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self._limited[method].extend([retry_after] * times)

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    def fail(self, method: str, how: Failure) -> None:
        """Calls of `method` fail `how`, changing nothing, until `heal`: slack_sdk and
        aiohttp may retry a call, so a count of failures would say little."""
        self._failures[method] = how

    def heal(self, method: str) -> None:
        self._failures.pop(method, None)

    def response_url(self, team: str, channel: str, user: str) -> str:
        key = f"r{next(self._serial)}"
        self._responders[key] = Responder(team, channel, user)
        return f"{self.url}/respond/{key}"

    @staticmethod
    def dm(user: str) -> str:
        return f"D{user}"

    def made(self, method: str, team: str | None = None) -> list[Call]:
        """The answered calls of `method` (in `team`)."""
        return [c for c in self.calls if c.method == method and c.status == 200 and team in (None, c.team)]

    # --- the Web API -----------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: Json = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.method == "POST":
            args.update(await request.post())
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.pop("token", None)
        call = Call(method, self.tokens.get(token or ""), args, time.monotonic())
        self.calls.append(call)
        await asyncio.sleep(self._delays.get(method, 0))
        if request.transport is None or request.transport.is_closing():
            call.status = 499  # the caller went away (killed) while the call was stalled
            return web.Response(status=499)
        if method in self._failures:
            return self._failed(request, call, self._failures[method])
        if self._limited[method]:
            call.status = 429
            retry_after = str(self._limited[method].pop(0))
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": retry_after}
            )
        if method == "apps.connections.open":
            ok = token in self.app_tokens
            url = f"ws://127.0.0.1:{self.url.rsplit(':', 1)[1]}/link?ticket={next(self._serial)}"
            return web.json_response(
                {"ok": True, "url": url} if ok else {"ok": False, "error": "invalid_auth"}
            )
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(request, args))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            self.violations.append(f"unexpected Web API method {method}")
            return web.json_response({"ok": False, "error": "unknown_method"})
        if call.team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        result: Json = handler(call.team, args)
        return web.json_response(result)

    @staticmethod
    def _failed(request: web.Request, call: Call, how: Failure) -> web.Response:
        if how == "disconnect":
            call.status = 0
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)  # never arrives: the connection is gone
        if how == "text/plain":
            call.status = 503
            return web.Response(status=503, text="upstream connect error or disconnect/reset before headers")
        call.status = 502
        html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return web.Response(status=502, text=html, content_type="application/json")

    def _auth_test(self, team: str, _args: Json) -> Json:
        return {
            "ok": True,
            "url": f"https://{team.lower()}.slack.test/",
            "team": f"Team {team}",
            "user": "lessonloop",
            "team_id": team,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, team: str, args: Json) -> Json:  # noqa: N802 (Slack's method name)
        text, blocks = args.get("text"), _blocks(args.get("blocks"))
        if self._refused("chat.postMessage", text, blocks):
            return {"ok": False, "error": "invalid_blocks"}
        channel = str(args["channel"])
        message = Message(
            self.dm(channel) if channel.startswith(("U", "W")) else channel,
            self._ts(),
            str(text),
            blocks or [],
            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
        )
        self.messages[message.channel].append(message)
        return {"ok": True, "channel": message.channel, "ts": message.ts, "message": {"text": text}}

    def _chat_update(self, team: str, args: Json) -> Json:
        text, blocks = args.get("text"), _blocks(args.get("blocks"))
        found = [m for m in self.messages[args["channel"]] if m.ts == args["ts"] and m.ephemeral_for is None]
        if not found:
            self.violations.append(f"chat.update of a message that does not exist: {args['ts']}")
            return {"ok": False, "error": "message_not_found"}
        if self._refused("chat.update", text, blocks):
            return {"ok": False, "error": "invalid_blocks"}
        found[0].text, found[0].blocks = str(text), blocks or []
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _users_info(self, team: str, args: Json) -> Json:
        person = self.people.get(args["user"], Person(first_name=args["user"]))
        profile = {"first_name": person.first_name, "last_name": person.last_name}
        if person.email is not None:
            profile["email"] = person.email
        user = {
            "id": args["user"],
            "team_id": team,
            "name": person.first_name.lower(),
            "tz": person.tz,
            "real_name": f"{person.first_name} {person.last_name}".strip(),
            "profile": profile,
        }
        if str(args.get("include_locale")).lower() in ("1", "true"):
            user["locale"] = person.locale
        return {"ok": True, "user": user}

    def _conversations_open(self, team: str, args: Json) -> Json:
        return {"ok": True, "channel": {"id": self.dm(args["users"])}}

    def _views_publish(self, team: str, args: Json) -> Json:
        view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
        problems = view_problems(view)
        if problems:
            self.violations.extend(f"views.publish: {problem}" for problem in problems)
            return {"ok": False, "error": "invalid_blocks"}
        self.views[(team, args["user_id"])] = view
        return {"ok": True, "view": {"id": f"V{args['user_id']}", **view}}

    def _oauth_access(self, request: web.Request, args: Json) -> Json:
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        given = (
            base64.b64decode(basic).decode().split(":", 1)
            if basic
            else [args.get("client_id"), args.get("client_secret")]
        )
        if self.client is None or tuple(given) != self.client or args.get("code") not in self._codes:
            return {"ok": False, "error": "invalid_code"}
        team, token = self._codes.pop(args["code"])
        self.tokens[token] = team
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": "U0INSTALLER"},
            "scope": "chat:write,commands",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # --- response_url ----------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        responder = self._responders.get(request.match_info["key"])
        body = await request.json()
        self.calls.append(Call("response_url", responder.team if responder else None, body, time.monotonic()))
        if responder is None:
            self.violations.append("a response_url that was never handed out")
            return web.Response(status=404, text="no_such_url")
        text, blocks = body.get("text"), _blocks(body.get("blocks"))
        if self._refused("response_url", text, blocks):
            return web.Response(status=400, text="invalid_blocks")
        if body.get("response_type") != "ephemeral":
            self.violations.append("a /learn answer visible to the whole channel")
        if body.get("replace_original") and responder.message is not None:
            responder.message.text, responder.message.blocks = str(text), blocks or []
            return web.Response(text="ok")
        message = Message(
            responder.channel, self._ts(), str(text), blocks or [], ephemeral_for=responder.user
        )
        message.response_url = self.response_url(responder.team, responder.channel, responder.user)
        self._responders[message.response_url.rsplit("/", 1)[1]].message = message
        self.messages[message.channel].append(message)
        return web.Response(text="ok")

    def _refused(self, method: str, text: object, blocks: list[Json] | None) -> bool:
        problems = message_problems(text, blocks)
        self.violations.extend(f"{method}: {problem}" for problem in problems)
        return bool(problems)

    def _ts(self) -> str:
        return f"1764000000.{next(self._serial):06d}"


def _blocks(value: object) -> list[Json] | None:
    if isinstance(value, str):
        parsed: list[Json] = json.loads(value)
        return parsed
    return value if isinstance(value, list) else None
