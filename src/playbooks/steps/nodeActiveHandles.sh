# part of: prelude.sh inspectorClient.sh
# The target's active handles and requests and its memoryUsage(), evaluated in it through the inspector.
node inspector-client.js handles
