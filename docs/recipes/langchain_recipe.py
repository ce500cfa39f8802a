"""LangChain's ChatOpenAI on a frugal client: every call LangChain makes is routed, budgeted and traced."""

import asyncio

from langchain_openai import ChatOpenAI

import frugal

client = frugal.Client()  # the policy from ./frugal.yaml (or $FRUGAL_POLICY, or the built-in default)
aclient = frugal.AsyncClient()
view, async_view = client.as_openai(), aclient.as_openai()  # real openai.OpenAI / AsyncOpenAI objects

llm = ChatOpenAI(
    model="auto",  # frugal chooses; a model name is a ceiling ("gpt-6.1-sol")
    root_client=view,
    client=view.chat.completions,
    root_async_client=async_view,
    async_client=async_view.chat.completions,
    api_key="unused",  # the views carry the credentials
)

with client.with_context(team="search", feature="answers"):  # budgets and the report see these
    print(llm.invoke("What is the capital of France?").content)
print(asyncio.run(llm.ainvoke("And of Spain?")).content)
