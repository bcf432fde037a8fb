---- MODULE MC ----
\* The harness behind TLC's reference figures for ZooKeeper's protocol-level spec
\* (zookeeper-specifications/protocol-spec/Zab.tla; the rows in bench/tlc_rows.py).
\* Zab.tla has no .cfg of its own; run_tlc.py writes MC.cfg for a row and runs TLC.
EXTENDS Zab

\* Bounds of a row, given in MC.cfg: MaxTimeoutFailures, MaxTransactionNum, MaxEpoch,
\* MaxRestarts.
CONSTANTS T, X, E, R

\* A model value for Zab.tla's NullPoint (CHOOSE p: p \notin Server, which TLC cannot
\* evaluate): MC.cfg overrides NullPoint with it.
CONSTANT NoServer

MCParameters == [MaxTimeoutFailures |-> T, MaxTransactionNum |-> X,
                 MaxEpoch |-> E, MaxRestarts |-> R]

\* The symmetry set (rows with symmetry).
Perms == Permutations(Server)

\* The VIEW: every variable but recorder.pc, the name of the last action, which is not
\* protocol state. Without it states that differ only in the action that reached them
\* count twice: plain TLC finds 8,050 distinct states for row 1, 5,170 with the VIEW.
View == <<serverVars, leaderVars, followerVars, electionVars, msgVars, verifyVars,
          recorder.nTimeout, recorder.nTransaction, recorder.maxEpoch,
          recorder.nRestart, recorder.nClientRequest>>
====
