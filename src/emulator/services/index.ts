/**
 * Loopback services of an emulated cluster, to come: a control endpoint (so that processes
 * other than the one running the cluster can drive it) and emulated AWS APIs (RDS describe
 * calls, Secrets Manager). One module per service here, started by the control plane
 * (cluster.ts) on the cluster's loopback subnet and closed by its stop(); their sockets are
 * unref'd, and every operation a caller awaits holds the event loop through keep-alive.ts.
 */
export {};
