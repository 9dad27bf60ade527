"""Pure composition: a `Dispatch` (plus pre-fetched card metadata) in, a `DispatchPlan` out."""
