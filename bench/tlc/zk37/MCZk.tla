---- MODULE MCZk ----
\* The harness for simulating ZooKeeper's own system spec, ZkV3_7_0.tla (with
\* FastLeaderElection.tla), whose traces tests/fixtures/zk37_traces/ holds
\* (bench/tlc/zk37/generate.py). Three servers, up to two crashes and one partition.
EXTENDS ZkV3_7_0

\* A model value for NullPoint (CHOOSE p: p \notin Server, which TLC cannot evaluate).
CONSTANT NoServer

MCParameters == [MaxTimeoutFailures |-> 1, MaxTransactionNum |-> 2, MaxEpoch |-> 3,
                 MaxCrashes |-> 2, MaxPartitions |-> 1]
====
