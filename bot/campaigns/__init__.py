"""Marketers' campaigns: who they reach (`audience`), which variant or the holdout each
learner gets (`split`), launching and pausing them into the outbox (`launch`), what they
send (`bot.flows.campaigns`, worded by the engine), clicks through the redirect (`clicks`),
conversions attributed to them (`attribution`) and the counts a marketer reads (`status`)."""
