"""From the feeds to the networks: the intake (feeds → plans → outbox), the outbox, the delivery engine.

intake     polls the feeds, composes, and commits each feed's new dispatches to the outbox
outbox     accepted dispatches and their post parts, written before any network call
engine     moves due parts to the networks: retry, pace, defer, give up (see its docstring)
budget     X's monthly spend
publishers opens a network's adapter (platforms/) for an account, with its secrets and stored state
report     the events of a run and what `run` prints of them
"""
