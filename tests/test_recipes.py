"""The recipes of docs/recipes.md, run against the loopback stub: each provider's policy file validates and
sends its models to that provider with its key; LangChain and LlamaIndex go through `as_openai()`; the
quickstart's app runs."""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import pytest

import frugal
from frugal.cli import main
from frugal.testing import Reply, Usage, VendorStub

RECIPES = Path(__file__).parents[1] / "docs" / "recipes"

#: (recipe, its provider's real base URL, its key variable (None: it takes no key), a model it declares)
PROVIDERS: list[tuple[str, str, str | None, str]] = [
    ("ollama.yaml", "http://localhost:11434/v1", None, "llama3.2"),
    ("vllm.yaml", "http://localhost:8000/v1", "VLLM_API_KEY", "Qwen/Qwen3-32B"),
    (
        "openrouter.yaml",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
        "meta-llama/llama-3.3-70b-instruct",
    ),
    (
        "gemini.yaml",
        "https://generativelanguage.googleapis.com/v1beta/openai/",
        "GEMINI_API_KEY",
        "gemini-2.5-flash",
    ),
    ("azure.yaml", "https://my-resource.openai.azure.com/openai/v1/", "AZURE_OPENAI_API_KEY", "mini-prod"),
    (
        "bedrock.yaml",
        "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1",
        "AWS_BEARER_TOKEN_BEDROCK",
        "openai.gpt-oss-20b-1:0",
    ),
]


@pytest.fixture
def vendor_env(stub: VendorStub, monkeypatch: pytest.MonkeyPatch) -> VendorStub:
    """OPENAI_* / ANTHROPIC_* pointing at the stub, as a user's environment holds their keys."""
    monkeypatch.setenv("OPENAI_BASE_URL", stub.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.anthropic_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    stub.reply(None, Reply(text="Paris.", usage=Usage(20, 3)))
    return stub


@pytest.mark.parametrize(("recipe", "url", "key", "model"), PROVIDERS, ids=[p[0] for p in PROVIDERS])
def test_provider_recipe_validates_and_serves_its_models(
    recipe: str,
    url: str,
    key: str | None,
    model: str,
    vendor_env: VendorStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The recipe's policy validates as written; pointed at the stub, its model goes to its provider with
    the key from its variable, and is priced from the policy."""
    text = (RECIPES / recipe).read_text(encoding="utf-8")
    assert url in text
    assert main(["validate", str(RECIPES / recipe)]) == 0
    capsys.readouterr()
    policy = tmp_path / "frugal.yaml"
    # honor: the model named is the one sent (routed, a cheaper model of the tier may serve "hi").
    honor = "\nrequested_model: honor\n"
    policy.write_text(text.replace(url, vendor_env.openai_base_url) + honor, encoding="utf-8")
    if key is not None:
        monkeypatch.setenv(key, "key-from-variable")
    client = frugal.Client(policy=str(policy))
    with warnings.catch_warnings():
        warnings.simplefilter("error", frugal.UnpricedModelWarning)
        decision = client.route(model=model, messages=[{"role": "user", "content": "hi"}])
        answer = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert decision.estimated_cost_usd is not None, "priced from the policy's models:"
    assert answer.choices[0].message.content == "Paris."
    sent = vendor_env.requests[-1]
    assert (sent.path, sent.body["model"]) == ("/v1/chat/completions", model)
    expected = "key-from-variable" if key is not None else "none"  # api_key: none
    assert sent.headers["authorization"] == f"Bearer {expected}"
    client.close()


def test_langchain_recipe(vendor_env: VendorStub, capsys: pytest.CaptureFixture[str]) -> None:
    """LangChain's ChatOpenAI on `as_openai()` views: sync and async calls are routed by frugal."""
    pytest.importorskip("langchain_openai", reason="the LangChain recipe needs langchain-openai installed")
    runpy.run_path(str(RECIPES / "langchain_recipe.py"), run_name="__main__")
    assert capsys.readouterr().out == "Paris.\nParis.\n"
    assert [r.path for r in vendor_env.requests] == ["/v1/chat/completions"] * 2
    assert all(r.model != "auto" for r in vendor_env.requests), "frugal chose the model"


def test_llamaindex_recipe(vendor_env: VendorStub, capsys: pytest.CaptureFixture[str]) -> None:
    """LlamaIndex's OpenAILike on `as_openai()` views: chat and async completion are routed by frugal."""
    pytest.importorskip(
        "llama_index.llms.openai_like",
        reason="the LlamaIndex recipe needs llama-index-llms-openai-like installed (it pins openai<3, so "
        "it is not in the dev extra)",
    )
    runpy.run_path(str(RECIPES / "llamaindex_recipe.py"), run_name="__main__")
    assert capsys.readouterr().out == "Paris.\nParis.\n"
    assert all(r.model != "auto" for r in vendor_env.requests), "frugal chose the model"


def test_quickstart_app(
    vendor_env: VendorStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The quickstart: `frugal init` (its policy records to a SQLite ledger), the ten-line app, then
    `frugal report --html` reads that ledger."""
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    runpy.run_path(str(RECIPES / "quickstart_app.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "Paris." in out
    assert main(["report", "--html", "report.html"]) == 0
    assert "routing saved" in capsys.readouterr().out
    assert Path("report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
