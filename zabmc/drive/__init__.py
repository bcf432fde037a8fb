"""Model-guided runs of the implementation: a spec counterexample driven through impl's
simulator (``zabmc drive``), as Mocket and Remix do for ZooKeeper."""
