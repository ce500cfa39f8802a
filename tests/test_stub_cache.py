"""The stub's prompt-cache simulation (``VendorStub(prompt_cache=...)``): replies that script no usage are
billed as each vendor bills them, cache reads and writes by the vendor's documented rules, seen through the
real SDKs over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from frugal.testing import PromptCacheSimulation, Reply, ToolCall, Usage, VendorStub

SONNET = "claude-sonnet-4-5"
OTHER = "claude-sonnet-5-5"
HAIKU = "claude-haiku-4-5"
GPT = "gpt-4o"
#: 6,000 characters: 1,500 tokens by the stub's count (a quarter of the characters).
RULES = "Rule a. " * 750
EPHEMERAL: Any = {"type": "ephemeral"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """The simulation's clock, at 1,000 s."""
    return Clock()


@pytest.fixture
def cached(clock: Clock) -> Iterator[VendorStub]:
    """A stub simulating the vendors' prompt caches on :func:`clock`."""
    with VendorStub(prompt_cache=PromptCacheSimulation(clock)) as stub:
        yield stub


@pytest.fixture
def claude(cached: VendorStub) -> anthropic.Anthropic:
    """The Anthropic SDK on the caching stub."""
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=cached.anthropic_base_url, max_retries=0)


@pytest.fixture
def gpt(cached: VendorStub) -> openai.OpenAI:
    """The OpenAI SDK on the caching stub."""
    return openai.OpenAI(api_key="sk-test", base_url=cached.openai_base_url, max_retries=0)


def system(text: str = RULES, **marker: Any) -> Any:
    """A one-block system prompt with a breakpoint."""
    return [{"type": "text", "text": text, "cache_control": {**EPHEMERAL, **marker}}]


def ask(client: anthropic.Anthropic, question: str = "hi", model: str = SONNET, **params: Any) -> Any:
    """One Messages call; its usage."""
    params.setdefault("system", system())
    messages = params.pop("messages", [{"role": "user", "content": question}])
    return client.messages.create(model=model, max_tokens=100, messages=messages, **params).usage


def billed(usage: Any) -> tuple[int, int, int, int]:
    """(uncached input, cache read, 5-minute write, 1-hour write) of an Anthropic usage."""
    split = usage.cache_creation
    return (
        usage.input_tokens,
        usage.cache_read_input_tokens,
        split.ephemeral_5m_input_tokens,
        split.ephemeral_1h_input_tokens,
    )


# -- Anthropic ---------------------------------------------------------------------------------------------


def test_a_breakpoint_writes_its_prefix_and_the_next_request_reads_it(claude: anthropic.Anthropic) -> None:
    """The prefix ending at a ``cache_control`` block is written (billed as a 5-minute write), read by the
    next request that starts with it; only what follows the breakpoint is uncached input."""
    first = ask(claude, "hi")
    second = ask(claude, "what is rule a?")
    assert billed(first) == (1, 0, 1500, 0)  # "hi": 2 characters, 1 token
    assert billed(second) == (4, 1500, 0, 0)  # 15 characters after the breakpoint: 4 tokens
    assert second.cache_creation_input_tokens == 0


def test_nothing_is_cached_without_a_breakpoint(claude: anthropic.Anthropic) -> None:
    """Without ``cache_control`` a Claude request is never cached, however long and often repeated."""
    for _ in range(3):
        usage = ask(claude, system=RULES)
        assert billed(usage) == (1501, 0, 0, 0)


def test_a_prefix_below_the_models_minimum_is_not_cached(claude: anthropic.Anthropic) -> None:
    """1,024 tokens is the shortest prefix cached (2,048 for Haiku): a 1,000-token one is never written, a
    1,500-token one is for Sonnet but not for Haiku."""
    short = system("Rule a. " * 500)  # 1,000 tokens
    assert [billed(ask(claude, system=short))[1:] for _ in range(2)] == [(0, 0, 0)] * 2
    assert [billed(ask(claude, model=HAIKU))[1:] for _ in range(2)] == [(0, 0, 0)] * 2
    assert [billed(ask(claude))[1:] for _ in range(2)] == [(0, 1500, 0), (1500, 0, 0)]


def test_an_entry_lives_five_minutes_refreshed_by_each_hit(claude: anthropic.Anthropic, clock: Clock) -> None:
    """Read 299 s after the write, read again 299 s after that (the hit refreshed it), written anew once 5
    minutes pass without a hit."""
    ask(claude)
    clock.advance(299)
    assert billed(ask(claude))[1] == 1500
    clock.advance(299)
    assert billed(ask(claude))[1] == 1500
    clock.advance(300)
    assert billed(ask(claude))[1:] == (0, 1500, 0)


def test_a_one_hour_breakpoint_is_billed_as_such_and_lives_an_hour(
    claude: anthropic.Anthropic, clock: Clock
) -> None:
    """``"ttl": "1h"`` writes are reported under ``ephemeral_1h_input_tokens`` and still hit 50 minutes on."""
    one_hour = system(ttl="1h")
    assert billed(ask(claude, system=one_hour)) == (1, 0, 0, 1500)
    clock.advance(50 * 60)
    assert billed(ask(claude, system=one_hour))[1] == 1500


def test_each_model_has_its_own_cache(claude: anthropic.Anthropic) -> None:
    """A prefix Sonnet 4.5 cached is written again, not read, by Sonnet 5.5."""
    ask(claude, model=SONNET)
    assert billed(ask(claude, model=OTHER))[1:] == (0, 1500, 0)
    assert billed(ask(claude, model=SONNET))[1] == 1500


def conversation(turns: int) -> list[dict[str, Any]]:
    """``turns`` user/assistant exchanges of one block each (40 characters: 10 tokens a block)."""
    messages: list[dict[str, Any]] = []
    for turn in range(turns):
        messages.append({"role": "user", "content": f"question {turn:03d} ".ljust(40, ".")})
        messages.append({"role": "assistant", "content": f"answer {turn:03d} ".ljust(40, ".")})
    return messages


def marked(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with a breakpoint on the last one, and a new question after it."""
    block = {"type": "text", "text": messages[-1]["content"], "cache_control": EPHEMERAL}
    last = {**messages[-1], "content": [block]}
    return [*messages[:-1], last, {"role": "user", "content": "and now?"}]


def test_a_growing_conversation_reads_the_last_cached_turn_within_twenty_blocks(
    claude: anthropic.Anthropic,
) -> None:
    """A breakpoint on the newest turn finds the prefix the previous request wrote when it lies within 20
    block boundaries back (the breakpoint's own included), and pays a full write when it lies further."""
    ask(claude, messages=marked(conversation(5)))  # system (1,500) + 10 blocks: written at block 10
    near = conversation(14)  # its breakpoint is block 28: the entry at block 10 is 18 boundaries back
    usage = ask(claude, messages=marked(near))
    assert billed(usage)[1:3] == (1500 + 100, 180)
    far = conversation(30)  # its breakpoint is block 60: blocks 28 and 10 are out of reach
    assert billed(ask(claude, messages=marked(far)))[1:3] == (1500, 600)  # only the system prompt read


def test_more_than_four_breakpoints_is_the_vendors_400(claude: anthropic.Anthropic) -> None:
    """Five ``cache_control`` blocks in one request are refused as the API refuses them."""
    blocks = [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(5)]
    with pytest.raises(anthropic.BadRequestError, match="A maximum of 4 blocks with cache_control"):
        ask(claude, system=blocks)


def test_a_streamed_message_reports_the_same_cache_counts(claude: anthropic.Anthropic) -> None:
    """The cache counts reach the SDK's streamed message as they reach a plain one."""
    ask(claude)
    with claude.messages.stream(
        model=SONNET, max_tokens=100, system=system(), messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        usage = stream.get_final_message().usage
    assert billed(usage) == (1, 1500, 0, 0)


def test_count_tokens_agrees_with_the_billed_input(claude: anthropic.Anthropic) -> None:
    """``count_tokens`` and the simulation count input the same way."""
    messages: Any = [{"role": "user", "content": "how many tokens is this?"}]
    counted = claude.messages.count_tokens(model=SONNET, system=system(), messages=messages).input_tokens
    usage = ask(claude, messages=messages)
    assert usage.input_tokens + usage.cache_creation_input_tokens == counted == 1506


# -- OpenAI ------------------------------------------------------------------------------------------------


def chat(client: openai.OpenAI, question: str, model: str = GPT, **params: Any) -> Any:
    """One chat call with :data:`RULES` as the system prompt; its usage."""
    prompt = params.pop("system", RULES)
    messages: Any = [{"role": "system", "content": prompt}, {"role": "user", "content": question}]
    return client.chat.completions.create(model=model, messages=messages, **params).usage


def test_openai_caches_prompts_of_1024_tokens_or_more_in_steps_of_128(gpt: openai.OpenAI) -> None:
    """Automatic caching: a prompt under 1,024 tokens is never cached; a longer one's shared prefix is read
    rounded down to a multiple of 128 tokens, and the new steps it reaches are reported as cache writes."""
    short = "Rule a. " * 400  # 800 tokens
    assert [chat(gpt, "hi", system=short).prompt_tokens_details.cached_tokens for _ in range(2)] == [0, 0]
    first = chat(gpt, "alpha")  # 1,500 + 2 tokens: cached up to 1,408
    second = chat(gpt, "beta " * 200)  # shares the 1,500-token system prompt: 1,408 read
    assert (first.prompt_tokens, first.prompt_tokens_details.cached_tokens) == (1502, 0)
    assert first.prompt_tokens_details.cache_write_tokens == 1408
    assert (second.prompt_tokens, second.prompt_tokens_details.cached_tokens) == (1750, 1408)
    assert second.prompt_tokens_details.cache_write_tokens == 1664 - 1408


def test_openai_responses_are_cached_the_same_way(gpt: openai.OpenAI) -> None:
    """The Responses API: instructions and input, ``cached_tokens`` in ``input_tokens_details``."""
    usages = [gpt.responses.create(model=GPT, instructions=RULES, input=q).usage for q in ("hi", "yo")]
    assert [u.input_tokens_details.cached_tokens for u in usages] == [0, 1408]


def test_openai_entries_expire_after_five_minutes_and_each_model_has_its_own(
    gpt: openai.OpenAI, clock: Clock
) -> None:
    """A prefix sent again within 5 minutes is read, after 5 idle minutes it is not; another model never
    reads it."""
    chat(gpt, "a")
    clock.advance(290)
    assert chat(gpt, "b").prompt_tokens_details.cached_tokens == 1408
    assert chat(gpt, "c", model="gpt-4o-mini").prompt_tokens_details.cached_tokens == 0
    clock.advance(301)
    assert chat(gpt, "d").prompt_tokens_details.cached_tokens == 0


def test_a_prompt_cache_key_partitions_the_cache(gpt: openai.OpenAI) -> None:
    """Simplified routing: a request reads only what was cached under its own ``prompt_cache_key``."""
    chat(gpt, "a", prompt_cache_key="conversation-1")
    assert chat(gpt, "b", prompt_cache_key="conversation-2").prompt_tokens_details.cached_tokens == 0
    assert chat(gpt, "c", prompt_cache_key="conversation-1").prompt_tokens_details.cached_tokens == 1408
    assert chat(gpt, "d").prompt_tokens_details.cached_tokens == 0


# -- output, scripted usage, the service -------------------------------------------------------------------


def test_output_is_the_replys_own_length_cut_at_the_requests_limit(
    cached: VendorStub, claude: anthropic.Anthropic, gpt: openai.OpenAI
) -> None:
    """Output tokens are a quarter of the reply's characters; past the request's output limit the answer is
    cut there and stops for length, in each vendor's words."""
    cached.reply(None, Reply(text="x" * 400))  # 100 tokens
    answer = gpt.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    assert (answer.usage.completion_tokens, answer.choices[0].finish_reason) == (100, "stop")
    cut = gpt.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "hi"}], max_completion_tokens=10
    )
    assert (cut.usage.completion_tokens, cut.choices[0].finish_reason) == (10, "length")
    assert cut.choices[0].message.content == "x" * 40
    message = claude.messages.create(model=SONNET, max_tokens=25, messages=[{"role": "user", "content": "x"}])
    assert (message.usage.output_tokens, message.stop_reason) == (25, "max_tokens")
    cached.reply(None, Reply(text=None, tool_calls=[ToolCall("lookup", {"order": 12})]))
    called = gpt.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    assert called.usage.completion_tokens == 5  # "lookup" + '{"order": 12}': 19 characters


def test_a_scripted_usage_is_reported_as_scripted(cached: VendorStub, gpt: openai.OpenAI) -> None:
    """A reply with a usage of its own is not billed by the simulation."""
    cached.reply(None, Reply(usage=Usage(input_tokens=7, output_tokens=3)))
    assert chat(gpt, "hi").prompt_tokens == 7


def test_reset_forgets_the_cached_prefixes(cached: VendorStub, gpt: openai.OpenAI) -> None:
    """``reset()`` empties the simulated caches with the rest of the stub's state."""
    chat(gpt, "a")
    cached.reset()
    assert chat(gpt, "b").prompt_tokens_details.cached_tokens == 0


def test_the_service_simulates_prompt_caches_with_its_flag() -> None:
    """``python -m frugal.testing --prompt-cache`` serves with the simulation on."""
    child = subprocess.Popen(
        [sys.executable, "-m", "frugal.testing", "--prompt-cache"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        urls = dict(child.stdout.readline().strip().partition("=")[::2] for _ in range(3))
        client = openai.OpenAI(api_key="sk-test", base_url=urls["OPENAI_BASE_URL"], max_retries=0)
        assert [chat(client, q).prompt_tokens_details.cached_tokens for q in "ab"] == [0, 1408]
    finally:
        child.terminate()
        child.wait()
        child.stdout.close()
        assert child.stderr is not None
        child.stderr.close()
