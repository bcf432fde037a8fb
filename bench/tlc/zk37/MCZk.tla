---- MODULE MCZk ----
\* The harness for simulating ZooKeeper's own system spec, ZkV3_7_0.tla (with
\* FastLeaderElection.tla), whose traces tests/fixtures/zk37_traces/ holds
\* (bench/tlc/zk37/generate.py). Three servers, no crash or partition: the replay
\* diverges in Fast Leader Election already (tests/system/test_tla_oracle.py).
EXTENDS ZkV3_7_0

\* A model value for NullPoint (CHOOSE p: p \notin Server, which TLC cannot evaluate).
CONSTANT NoServer

MCParameters == [MaxTimeoutFailures |-> 1, MaxTransactionNum |-> 2, MaxEpoch |-> 3,
                 MaxCrashes |-> 0, MaxPartitions |-> 0]
====
