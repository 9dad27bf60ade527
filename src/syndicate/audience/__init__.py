"""The loop back from followers (issue 12): engagement snapshots and replies of the posts we sent.

`snapshots.py` keeps them in the state store and answers the questions `stats` and `report` ask;
`collect.py` reads them from the networks (through each platform package's `Reader`), in each
network's own batches, within X's budget. At the delivery level: below commands, above platforms.
"""
