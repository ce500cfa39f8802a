"""The SDK-shaped namespaces of a frugal client: ``chat.completions``, ``responses``, ``embeddings``,
``messages``.

One implementation serves both clients: each method hands its arguments to the client's ``_call``, which
returns the result on :class:`~frugal.Client` and an awaitable on :class:`~frugal.AsyncClient`. For type
checkers the namespaces *are* the SDKs' resource classes (see ``_client.py``), so every argument and
return type is the SDK's own.

Attributes that frugal does not intercept (``with_raw_response``, ``parse``, ``retrieve``, ``batches``,
...) are looked up on the namespace's vendor client (the ``openai`` provider for OpenAI-shaped
namespaces, ``anthropic`` for ``messages``) and go to that vendor directly, without routing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .providers.calls import CHAT, COUNT_TOKENS, EMBEDDINGS, MESSAGES, RESPONSES

if TYPE_CHECKING:
    from ._client import BaseClient

__all__ = [
    "ChatCompletionsNamespace",
    "ChatNamespace",
    "EmbeddingsNamespace",
    "MessagesNamespace",
    "ResponsesNamespace",
]


class _Namespace:
    """A namespace bound to a frugal client, delegating what it does not intercept."""

    _provider = "openai"
    _path: tuple[str, ...] = ()

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target = self._client._vendor_client(self._provider)
        for step in self._path:
            target = getattr(target, step)
        return getattr(target, name)

    def __repr__(self) -> str:
        return f"<frugal {'.'.join(self._path)} of {self._client!r}>"


class ChatCompletionsNamespace(_Namespace):
    """``client.chat.completions``."""

    _path = ("chat", "completions")

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.OpenAI().chat.completions.create``."""
        return self._client._call(CHAT, params)


class ChatNamespace(_Namespace):
    """``client.chat``."""

    _path = ("chat",)

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.completions = ChatCompletionsNamespace(client)


class ResponsesNamespace(_Namespace):
    """``client.responses``."""

    _path = ("responses",)

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.OpenAI().responses.create``."""
        return self._client._call(RESPONSES, params)


class EmbeddingsNamespace(_Namespace):
    """``client.embeddings``."""

    _path = ("embeddings",)

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.OpenAI().embeddings.create``."""
        return self._client._call(EMBEDDINGS, params)


class MessagesNamespace(_Namespace):
    """``client.messages``."""

    _provider = "anthropic"
    _path = ("messages",)

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``anthropic.Anthropic().messages.create``."""
        return self._client._call(MESSAGES, params)

    def stream(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.Anthropic().messages.stream``.

        Returns a ``MessageStreamManager`` (``AsyncMessageStreamManager`` on the async client) at once,
        as the SDK does; the request is sent when the manager is entered.
        """
        return self._client._stream_manager(params)

    def count_tokens(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.Anthropic().messages.count_tokens``."""
        return self._client._call(COUNT_TOKENS, params)
