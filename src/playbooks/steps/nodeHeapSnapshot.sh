# part of: prelude.sh inspectorClient.sh
# A heap snapshot into $ARTIFACT; the inspector is closed again when the first step opened it.
close=0; [ -e opened-inspector ] && close=1
CLOSE=$close node inspector-client.js snapshot
