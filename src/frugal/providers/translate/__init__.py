"""Translation between the OpenAI (chat, Responses) and Anthropic messages shapes, as pure functions on
JSON dicts.

frugal serves an OpenAI-shaped call with a Claude model, or an Anthropic-shaped call with an OpenAI
model, by translating the request, then the response (or stream) back::

    OpenAI chat on Claude         OpenAI Responses on Claude         Anthropic messages on OpenAI chat
    chat_request_to_messages      responses_request_to_messages      messages_request_to_chat
    messages_response_to_chat     messages_response_to_responses     chat_response_to_messages
    MessagesStreamToChatChunks    MessagesStreamToResponsesEvents    ChatChunksToMessagesStream
    check_chat_for_anthropic      check_responses_for_anthropic      check_messages_for_openai

Anything that cannot be reproduced faithfully raises :class:`frugal.exceptions.UnsupportedFeature`
naming the feature, before any request is sent; the ``check_*`` functions let the router skip such
candidates. Usage is translated so that no token is ever counted twice. Neither vendor SDK is
imported here. The user-facing description of every mapping is ``docs/translation.md``.
"""

from __future__ import annotations

from ..calls import DEFAULT_MAX_TOKENS
from .chat_call import (
    chat_request_to_messages,
    check_chat_for_anthropic,
    messages_response_to_chat,
)
from .messages_call import (
    chat_response_to_messages,
    check_messages_for_openai,
    messages_request_to_chat,
)
from .responses_answer import messages_response_to_responses
from .responses_call import check_responses_for_anthropic, responses_request_to_messages
from .responses_stream import MessagesStreamToResponsesEvents
from .stream_events import ChatChunksToMessagesStream, MessagesStreamToChatChunks

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "ChatChunksToMessagesStream",
    "MessagesStreamToChatChunks",
    "MessagesStreamToResponsesEvents",
    "chat_request_to_messages",
    "chat_response_to_messages",
    "check_chat_for_anthropic",
    "check_messages_for_openai",
    "check_responses_for_anthropic",
    "messages_request_to_chat",
    "messages_response_to_chat",
    "messages_response_to_responses",
    "responses_request_to_messages",
]
