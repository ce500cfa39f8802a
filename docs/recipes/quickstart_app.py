import frugal

client = frugal.Client()  # reads ./frugal.yaml, and OPENAI_API_KEY / ANTHROPIC_API_KEY as the SDKs do

with client.with_context(team="search", feature="answers"):  # who spent it, in the report
    for question in ("What is the capital of France?", "Prove that there are infinitely many primes."):
        reply = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": question}])
        print(reply.model, "->", reply.choices[0].message.content)

decision = client.route(messages=[{"role": "user", "content": "hi"}])  # a dry run: no call, no cost
print(f"{decision.model}: ${decision.estimated_cost_usd:.6f} instead of ${decision.baseline_cost_usd:.6f}")
