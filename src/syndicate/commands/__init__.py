"""What each `syndicate` command does, below the argument parsing in cli.py.

run      one cron pass: lock, intake, deliver, report
dryrun   the same intake on a throw-away copy of the state, rendered instead of delivered
status   what the state holds; release and retry
check    one authenticated read per network
"""
