/**
 * The built-in playbooks. Each uses the least profile its steps need: `baseline` when only the pod's network
 * and the target's /proc as the same (root) user are read, `general` (SYS_PTRACE) when another uid's /proc,
 * ptrace (gdb, strace) or a debugger attach is involved. Kernel stacks need `sysadmin`; that step says so
 * instead of asking for it by default.
 */
import * as steps from './steps';
import type { Playbook } from './types';

export const BUILT_IN_PLAYBOOKS: readonly Playbook[] = [
  {
    id: 'network-dns',
    title: 'Network connectivity and DNS',
    description: 'resolv.conf, listening sockets, interfaces and routes, a DNS lookup and a TCP connect from inside the pod',
    image: 'nicolaka/netshoot:v0.13',
    profile: 'baseline',
    needsTarget: false,
    inputs: [
      { name: 'DNS_NAME', prompt: 'Name to resolve', default: 'kubernetes.default.svc.cluster.local' },
      { name: 'ENDPOINT', prompt: 'host:port to connect to', default: '127.0.0.1:{{port}}' },
    ],
    steps: [
      { title: 'DNS configuration', script: steps.RESOLV_CONF, output: 'terminal' },
      { title: 'Listening sockets', script: steps.LISTENING_SOCKETS, output: 'terminal' },
      { title: 'Interfaces and routes', script: steps.INTERFACES_AND_ROUTES, output: 'terminal', required: false },
      { title: 'DNS lookup', script: steps.DNS_LOOKUP, output: 'terminal', required: false, timeoutSeconds: 30 },
      { title: 'TCP connect', script: steps.TCP_CONNECT, output: 'terminal', required: false, timeoutSeconds: 30 },
    ],
  },
  {
    id: 'http-health',
    title: 'HTTP health of a service',
    description: 'GET a URL from inside the pod (the readiness endpoint by default): status, headers, body',
    image: 'busybox:1.36',
    profile: 'baseline',
    needsTarget: false,
    inputs: [{ name: 'URL', prompt: 'URL to GET from inside the pod', default: 'http://127.0.0.1:{{readinessPort}}{{readinessPath}}' }],
    steps: [
      { title: 'Listening sockets', script: steps.LISTENING_SOCKETS, output: 'terminal', required: false },
      { title: 'HTTP GET', script: steps.HTTP_GET, output: 'terminal', timeoutSeconds: 30 },
    ],
  },
  {
    id: 'memory',
    title: 'Memory (OOMKilled)',
    description: 'RSS and its peak (VmRSS/VmHWM), smaps_rollup, the largest processes, and the memory cgroup\'s limit and OOM events',
    image: 'busybox:1.36',
    profile: 'general',
    steps: [
      { title: 'Process memory', script: steps.MEMORY_STATUS, output: 'terminal' },
      { title: 'Memory cgroup (limit, usage, OOM events)', script: steps.MEMORY_CGROUP, output: 'terminal', required: false },
    ],
  },
  {
    id: 'fd-exhaustion',
    title: 'File-descriptor exhaustion',
    description: 'open descriptors against the soft and hard limits, by kind, the most opened files, and the system-wide count',
    image: 'busybox:1.36',
    profile: 'general',
    steps: [{ title: 'Open file descriptors', script: steps.FD_USAGE, output: 'terminal' }],
  },
  {
    id: 'stuck-process',
    title: 'Stuck process: thread states and stacks',
    description: 'per thread State, wchan and system call; kernel stacks (needs profile sysadmin); 3 seconds of strace',
    image: 'nicolaka/netshoot:v0.13',
    profile: 'general',
    steps: [
      { title: 'Thread states', script: steps.THREAD_STATES, output: 'terminal' },
      { title: 'Kernel stacks', script: steps.KERNEL_STACKS, output: 'terminal', required: false },
      { title: 'System calls (strace, 3 s)', script: steps.SYSCALL_TRACE, output: 'terminal', required: false, timeoutSeconds: 30 },
    ],
  },
  {
    id: 'core-dumps',
    title: 'Core dumps',
    description: 'where cores go (core_pattern), whether the target may write one (ulimit -c), and existing core files',
    image: 'busybox:1.36',
    profile: 'general',
    steps: [
      { title: 'Core dump settings', script: steps.CORE_DUMP_SETTINGS, output: 'terminal' },
      { title: 'Existing core files', script: steps.CORE_FILES, output: 'terminal', required: false },
    ],
  },
  {
    id: 'database-connectivity',
    title: 'Database connectivity',
    description: 'resolve the database host, connect to it, and read the server\'s first bytes (PostgreSQL, MySQL, Redis)',
    image: 'nicolaka/netshoot:v0.13',
    profile: 'baseline',
    inputs: [{ name: 'DB_ENDPOINT', prompt: 'Database host:port', default: '{{dbEndpoint}}' }],
    steps: [{ title: 'Connect to the database', script: steps.DB_CONNECT, output: 'terminal', timeoutSeconds: 30 }],
  },
  {
    id: 'jvm-threads',
    title: 'JVM heap and threads',
    description: 'thread dump, heap summary and class histogram over the JVM\'s attach socket (jcmd\'s protocol); falls back to kill -3 into the container log',
    image: 'eclipse-temurin:17',
    profile: 'general',
    runtime: 'java',
    steps: [
      { title: 'Attach to the JVM', script: steps.JVM_ATTACH, output: 'terminal', timeoutSeconds: 30 },
      { title: 'Thread dump', script: steps.JVM_THREAD_DUMP, output: 'terminal', timeoutSeconds: 60 },
      { title: 'Heap summary', script: steps.JVM_HEAP_INFO, output: 'terminal', required: false, timeoutSeconds: 60 },
      { title: 'Class histogram (top 25)', script: steps.JVM_CLASS_HISTOGRAM, output: 'terminal', required: false, timeoutSeconds: 120 },
    ],
  },
  {
    id: 'node-heap',
    title: 'Node heap snapshot and active handles',
    description: 'opens the inspector with SIGUSR1, summarises active handles and memory, and saves a .heapsnapshot (closing the inspector again)',
    image: 'node:22',
    profile: 'baseline',
    runtime: 'node',
    steps: [
      { title: 'Open the inspector', script: steps.NODE_OPEN_INSPECTOR, output: 'terminal', timeoutSeconds: 30 },
      { title: 'Active handles and memory', script: steps.NODE_ACTIVE_HANDLES, output: 'terminal', required: false, timeoutSeconds: 30 },
      { title: 'Heap snapshot', script: steps.NODE_HEAP_SNAPSHOT, output: 'artifact', artifactName: 'node-heap.heapsnapshot', timeoutSeconds: 300 },
    ],
  },
  {
    id: 'python-stack',
    title: 'Python stack dump',
    description: 'every thread\'s Python stack, run inside the interpreter with gdb (PyRun_SimpleString)',
    image: 'python:3.12',
    profile: 'general',
    runtime: 'python',
    steps: [{ title: 'Python stacks of all threads', script: steps.PYTHON_STACK_DUMP, output: 'terminal', timeoutSeconds: 90 }],
  },
];

export function findPlaybook(playbooks: readonly Playbook[], id: string): Playbook | undefined {
  return playbooks.find((p) => p.id === id);
}
