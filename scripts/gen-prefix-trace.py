#!/usr/bin/env python3
"""Writes a small multi-turn chat trace in Mooncake's format (JSON lines with
timestamp in ms, input_length, output_length, hash_ids: one id per 512 prompt tokens,
equal ids for equal prefixes) for configs/inference-prefix-trace.toml.

    python3 scripts/gen-prefix-trace.py > configs/traces/chat-mooncake.jsonl

Deterministic (seeded). Chats start with one of SYSTEMS system prompts of 2,048 tokens
(Zipf(1) popularity) plus a user message; with probability FOLLOW_UP an arrival is the
next turn of one of the 32 most recent chats: its prompt is the previous prompt, the
previous answer and a new user message. As in Mooncake's traces, a turn repeats the ids
of the previous prompt's full blocks and gets fresh ids for the rest (the partial last
block's content changed)."""
import json
import random

BLOCK, SYSTEMS, SYSTEM_TOKENS, REQUESTS, RATE, FOLLOW_UP = 512, 8, 2048, 240, 4.0, 0.6
rng = random.Random(12)
next_id = 0


def fresh(n):
    global next_id
    ids = list(range(next_id, next_id + n))
    next_id += n
    return ids


systems = [fresh(SYSTEM_TOKENS // BLOCK) for _ in range(SYSTEMS)]
weights = [1 / (k + 1) for k in range(SYSTEMS)]
chats, t = [], 0.0
for _ in range(REQUESTS):
    t += rng.expovariate(RATE)
    user, output = rng.randint(32, 512), rng.randint(32, 256)
    if chats and rng.random() < FOLLOW_UP:
        chat = rng.choice(chats)
        prompt = chat["prompt"] + chat["output"] + user
        keep = chat["ids"][: chat["prompt"] // BLOCK]
    else:
        s = rng.choices(range(SYSTEMS), weights)[0]
        chat = {}
        chats = (chats + [chat])[-32:]
        prompt, keep = SYSTEM_TOKENS + user, list(systems[s])
    ids = keep + fresh(-(-prompt // BLOCK) - len(keep))
    chat.update(prompt=prompt, output=output, ids=ids)
    print(json.dumps({"timestamp": round(t * 1000), "input_length": prompt,
                      "output_length": output, "hash_ids": ids}))
