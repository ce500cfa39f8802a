"""Vendor errors of a translated call, catchable as either vendor's exception.

When an OpenAI-shaped call is served by a Claude model and Anthropic answers 429, the caller's code was
written for ``openai.RateLimitError`` while the truth is ``anthropic.RateLimitError``. frugal raises an
exception that *is both*: a class deriving from the original vendor class and from the same-named class
of the caller's SDK, carrying the original's attributes (``status_code``, ``response``, ``body``,
``request_id``). Nothing is wrapped, nothing is lost, and either ``except`` clause catches it.
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["as_caller_error"]

_TWINS: dict[tuple[type[BaseException], type[BaseException]], type[BaseException]] = {}


def as_caller_error(exc: BaseException, caller_sdk: ModuleType) -> BaseException:
    """Return ``exc``, made an instance of ``caller_sdk``'s matching exception class as well.

    The match is the nearest class in ``exc``'s hierarchy whose name ``caller_sdk`` also exports
    (``OverloadedError`` has no OpenAI twin, so it also becomes an ``openai.InternalServerError``).
    Exceptions that are not the other vendor's API errors are returned unchanged.
    """
    base_error = getattr(caller_sdk, "APIError", None)
    if base_error is None or isinstance(exc, base_error):
        return exc
    source_root = sys_module_root(type(exc))
    if source_root not in ("openai", "anthropic"):
        return exc
    twin: type[BaseException] | None = None
    for cls in type(exc).__mro__:
        candidate = getattr(caller_sdk, cls.__name__, None)
        if isinstance(candidate, type) and issubclass(candidate, base_error):
            twin = candidate
            break
    if twin is None:
        return exc
    key = (type(exc), twin)
    dual = _TWINS.get(key)
    if dual is None:
        dual = type(
            type(exc).__name__,
            (type(exc), twin),
            {"__module__": type(exc).__module__, "__doc__": type(exc).__doc__},
        )
        _TWINS[key] = dual
    new = dual.__new__(dual)
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    new.__cause__ = exc.__cause__
    return new.with_traceback(exc.__traceback__)


def sys_module_root(cls: type) -> str:
    """The top-level package that defines ``cls``."""
    return cls.__module__.partition(".")[0]
