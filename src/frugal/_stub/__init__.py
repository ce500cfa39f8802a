"""The loopback vendor stub behind :mod:`frugal.testing` (import from there: these modules are private).

- :mod:`.script`: what a test scripts (``Reply``, ``ToolCall``, ``Usage``, ``Fault``) and what the stub
  records (``RecordedRequest``).
- :mod:`.openai_wire`, :mod:`.anthropic_wire`: pure functions from a scripted reply to each vendor's JSON
  bodies and SSE events.
- :mod:`.script_file`: reply-script files (YAML or JSON) mapped onto those values.
- :mod:`.prompt_blocks`: a request's prompt as the vendors' caches see it (blocks, the token estimate);
  :mod:`.cache_sim`: the simulated prompt caches (``VendorStub(prompt_cache=True)``); :mod:`.billing`: a
  reply billed from the request and its own text.
- :mod:`.server`: the HTTP server (``VendorStub``); :mod:`.address`: where it may listen (loopback).
- :mod:`.cli`: ``python -m frugal.testing``, the stub as a service.
- :mod:`.guard`: ``deny_network()``.

Nothing here imports a vendor SDK.
"""
