"""From the feeds to the networks: the intake (feeds → plans → outbox), the outbox, the delivery engine.

poll       fetches every feed and sorts its entries: new, baseline, already seen (reads the state, writes errors)
intake     composes what poll found new and commits each feed's dispatches to the outbox in one transaction
outbox     accepted dispatches and their post parts, written before any network call
engine     moves due parts to the networks: retry, pace, defer, give up (see its docstring)
budget     X's monthly spend
publishers opens a network's adapter (platforms/) for an account, with its secrets and stored state
report     the events of a run and what `run` prints of them
"""
