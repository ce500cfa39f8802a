"""LlamaIndex's OpenAILike LLM on a frugal client: LlamaIndex's calls are routed, budgeted and traced."""

import asyncio

from llama_index.core.llms import ChatMessage
from llama_index.llms.openai_like import OpenAILike

import frugal

client = frugal.Client()  # the policy from ./frugal.yaml (or $FRUGAL_POLICY, or the built-in default)
aclient = frugal.AsyncClient()

llm = OpenAILike(
    model="auto",  # frugal chooses; a model name is a ceiling
    is_chat_model=True,
    is_function_calling_model=True,
    context_window=128_000,
    api_key="unused",  # the frugal views carry the credentials
    openai_client=client.as_openai(),  # real openai.OpenAI / AsyncOpenAI objects routed by frugal
    async_openai_client=aclient.as_openai(),
)

with client.with_context(team="search", feature="rag"):  # budgets and the report see these
    print(llm.chat([ChatMessage(role="user", content="What is the capital of France?")]).message.content)
print(asyncio.run(llm.acomplete("And of Spain?")).text)
