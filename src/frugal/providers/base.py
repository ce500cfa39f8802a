"""The provider adapter contract: one configured endpoint of one vendor kind, and what it reads.

A :class:`Provider` owns its vendor SDK client (built on first use, so neither ``import frugal`` nor
``frugal.Client()`` imports an SDK), sends one request (:meth:`Provider.send` / :meth:`Provider.asend`:
the SDK method itself when the call's shape is the provider's own, a translated call otherwise) and, for
the shape it speaks, reads answers (:meth:`Provider.summarize`) and streams (:meth:`Provider.stream_reader`)
into an :class:`AnswerSummary`: ids, model, finish reasons, usage and (for opt-in content capture) text.

Each recipe reads the same: guard, prepare, send, process. Retries, fallback, accounting and telemetry are
not here: the call plan (:mod:`frugal._plan`) wraps every provider the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..usage import TokenUsage
from .calls import DEFAULT_MAX_TOKENS, Operation, response_wrapper
from .streams import peek_async, peek_sync

if TYPE_CHECKING:
    from .caching import PromptCache
    from .translate.sdk_calls import Translated

__all__ = ["PLACEHOLDER_KEY", "AnswerSummary", "Provider", "StreamReader"]

#: The key of SDK clients made for a provider without credentials (their requests fail with a 401).
PLACEHOLDER_KEY = "frugal-without-key"


@dataclass(slots=True)
class AnswerSummary:
    """What telemetry and accounting read of one answer (or one finished stream).

    Attributes:
        response_id: the vendor's response id.
        response_model: the model the vendor says answered.
        finish_reasons: the finish (stop) reasons, in the answer's own vocabulary.
        usage: the tokens used; None when the answer carries no usage (an OpenAI stream without it).
        text: the answer's text, in pieces (put on spans only when content capture is on).
        service_tier: the vendor service tier that served it, when the answer says (OpenAI: ``default``,
            ``flex``, ``priority``).
    """

    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: TokenUsage | None = None
    text: list[str] = field(default_factory=list)
    service_tier: str | None = None


class StreamReader(Protocol):
    """Reads a stream's items as they pass, into an :class:`AnswerSummary`."""

    def keep(self, item: Any) -> bool:
        """Read ``item``; whether to hand it on to the caller (False: a usage chunk frugal asked for)."""
        ...

    def summary(self) -> AnswerSummary:
        """What the items read so far say."""
        ...


class Provider:
    """One configured provider: a name, a kind (the wire format it speaks) and its vendor SDK client.

    Subclasses (:class:`~frugal.providers.openai.OpenAIProvider`,
    :class:`~frugal.providers.anthropic.AnthropicProvider`) build their SDK client and read answers of
    their shape.

    Attributes:
        name: the provider's name in this client (``"openai"``, ``"anthropic"``, ``"azure"``, ...).
        kind: ``"openai"`` or ``"anthropic"``.
        is_async: whether its SDK client is the async one.
        owned: frugal built the SDK client (so frugal closes it).
        key_variable: the environment variable of its key named by the policy (``api_key_env``), if any.
        default_max_tokens: ``max_tokens`` sent to Anthropic when an OpenAI-shaped call gives none.
    """

    kind: ClassVar[str] = ""
    #: The environment variables the SDK reads its key from, first found wins.
    key_variables: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        name: str,
        *,
        is_async: bool,
        options: Mapping[str, Any],
        sdk: Any = None,
        key_variable: str | None = None,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self.name = name
        self.default_max_tokens = default_max_tokens
        self.is_async = is_async
        self.options = dict(options)
        self._sdk = sdk
        self._call_sdk: Any = None
        self._server: tuple[str, int | None] | None = None
        self._server_read = False
        self.owned = sdk is None
        self.key_variable = key_variable
        #: Marks requests for the vendor's prompt cache (set by the client; None: nothing is marked).
        self.prompt_cache: PromptCache | None = None

    # -- the SDK client ------------------------------------------------------------------------------

    def sdk_class(self) -> Any:
        """The SDK client class (sync or async) of this kind (subclasses import their SDK here)."""
        raise NotImplementedError

    def sdk_options(self) -> dict[str, Any]:
        """The keyword arguments a new SDK client is built with."""
        return dict(self.options)

    def build_sdk(self) -> Any:
        """A new vendor SDK client from :attr:`options`."""
        return self.sdk_class()(**self.sdk_options())

    def placeholder_sdk(self) -> Any:
        """An SDK client like this provider's, with a placeholder key: what the SDK-shaped namespaces of a
        client without credentials for this provider are built on (only methods frugal does not intercept
        use it, and they then fail with the vendor's own 401)."""
        return self.sdk_class()(**{**self.sdk_options(), "api_key": PLACEHOLDER_KEY})

    def with_options(self, **options: Any) -> Provider:
        """The same provider with other SDK client options (``timeout``, ``default_headers``, a
        ``base_url``, ...), as the SDKs' ``with_options``: a ready-made client is copied with them, one
        frugal builds is built with them. The SDK's own retries stay off."""
        options = {**options, "max_retries": 0}
        if self._sdk is not None:
            derived = type(self)(
                self.name,
                is_async=self.is_async,
                options={},
                sdk=self._sdk.with_options(**options),
                key_variable=self.key_variable,
                default_max_tokens=self.default_max_tokens,
            )
        else:
            derived = type(self)(
                self.name,
                is_async=self.is_async,
                options={**self.options, **options},
                key_variable=self.key_variable,
                default_max_tokens=self.default_max_tokens,
            )
        derived.prompt_cache = self.prompt_cache
        return derived

    @property
    def sdk(self) -> Any:
        """The vendor SDK client, built on first use.

        Building it reads the SDK's own environment variables and raises the SDK's own error when a key is
        missing, exactly as constructing the SDK client directly would.
        """
        if self._sdk is None:
            self._sdk = self.build_sdk()
        return self._sdk

    @property
    def call_sdk(self) -> Any:
        """The SDK client frugal calls through: :attr:`sdk` with the SDK's own retries off.

        frugal retries and falls back itself; SDK retries underneath would multiply the attempts. A
        ready-made client passed in is copied with ``with_options(max_retries=0)`` (same connection pool).
        """
        if self._call_sdk is None:
            sdk = self.sdk
            self._call_sdk = sdk if self.owned else sdk.with_options(max_retries=0)
        return self._call_sdk

    @property
    def built(self) -> bool:
        """Whether the vendor SDK client exists yet."""
        return self._sdk is not None

    @property
    def server(self) -> tuple[str, int | None] | None:
        """(host, port) of the provider's base URL, for spans (read once; None when unknown)."""
        if not self._server_read:
            self._server_read = True
            try:
                url = self.call_sdk.base_url
                self._server = (str(url.host), url.port)
            except Exception:  # no credentials yet, or an SDK without base_url: spans go without it
                self._server = None
        return self._server

    def has_credentials(self) -> bool:
        """Whether the provider can authenticate: a ready-made client, an explicit key, or the key's
        environment variable (the policy's ``api_key_env``, else the SDK's own)."""
        if self.built or self.options.get("api_key") or self.options.get("auth_token"):
            return True
        return any(os.environ.get(name) for name in self.credential_names())

    def credential_names(self) -> tuple[str, ...]:
        """The environment variables this provider reads its key from (the policy's ``api_key_env``, else
        the SDK's own)."""
        return (self.key_variable,) if self.key_variable else self.key_variables

    def close(self) -> None:
        """Close the SDK client if frugal built it (a ready-made client passed in stays open)."""
        if self.built and self.owned:
            self.sdk.close()

    async def aclose(self) -> None:
        """The async twin of :meth:`close`."""
        if self.built and self.owned:
            await self.sdk.close()

    # -- one request ---------------------------------------------------------------------------------

    def send(self, op: Operation, params: Mapping[str, Any], model: str) -> Any:
        """Send one request for ``model`` and return the caller-shaped answer.

        A stream's first item is read before returning (an error that arrives before anything reached the
        caller is raised here, so the call can still be retried or fall back); a raw response (a call made
        through the SDK's ``with_raw_response`` / ``with_streaming_response``) is returned as it is.

        Raises:
            UnsupportedFeature: the call cannot be translated for this provider (nothing was sent).
            Exception: the vendor SDK's own exception, unchanged (or, for a translated call, also an
                instance of the caller's SDK's matching class).
        """
        if op.shape == self.kind:
            result = op.native(self.call_sdk)(**self.cached(op.name, {**params, "model": model}))
        else:
            result = self.translated(op, params, model).run_sync()
        if not params.get("stream") or response_wrapper(params) is not None:
            return result
        return peek_sync(result)

    async def asend(self, op: Operation, params: Mapping[str, Any], model: str) -> Any:
        """The async twin of :meth:`send`."""
        if op.shape == self.kind:
            result = await op.native(self.call_sdk)(**self.cached(op.name, {**params, "model": model}))
        else:
            result = await self.translated(op, params, model).run_async()
        if not params.get("stream") or response_wrapper(params) is not None:
            return result
        return await peek_async(result)

    def translated(self, op: Operation, params: Mapping[str, Any], model: str) -> Translated:
        """``op`` (the other vendor's shape) prepared for this provider (imports both SDKs)."""
        from .translate.sdk_calls import prepare

        return prepare(
            op,
            self.call_sdk,
            params,
            model,
            is_async=self.is_async,
            default_max_tokens=self.default_max_tokens,
            finalize=partial(self.cached, "messages" if self.kind == "anthropic" else "chat"),
        )

    def cached(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of a request in this provider's own shape (``operation``: ``chat``, ``messages``,
        ``responses``, ...), marked for its prompt cache (the default: unchanged)."""
        return kwargs

    @staticmethod
    def prepare_stream(op: Operation, params: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """The arguments to send for a stream whose usage frugal must read, and whether an extra chunk
        it asked for must be kept from the caller. The default: nothing to add."""
        return dict(params), False

    # -- reading answers of this provider's shape -----------------------------------------------------

    @staticmethod
    def summarize(result: Any) -> AnswerSummary:
        """What a non-streamed answer of this shape says (subclasses)."""
        raise NotImplementedError

    @staticmethod
    def stream_reader(hide_usage: bool) -> StreamReader:
        """A reader for a stream of this shape (``hide_usage``: keep the usage chunk from the caller)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, is_async={self.is_async})"
