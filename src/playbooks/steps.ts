/**
 * The sh steps of the built-in playbooks, from the .sh files in steps/ (imported as text): a step is its shared
 * fragments (endpoint.sh, inspectorClient.sh, jcmd.sh) and its own file, each file naming what it is part of in its
 * first line. Every step, built-in or from settings, runs after the runner's prelude (steps/prelude.sh): the values
 * it needs (TARGET_PID, the inputs, …) are positional arguments that the prelude exports, never script text.
 * Steps run in the debug container, which shares the pod's network namespace and the target's PID namespace, so
 * /proc/$TARGET_PID is the target and sockets are the pod's; written for busybox ash, dash and bash.
 */
import { shellScript } from '../shell/shellScript';
import coreDumpSettings from './steps/coreDumpSettings.sh';
import coreFiles from './steps/coreFiles.sh';
import dbConnect from './steps/dbConnect.sh';
import dnsLookup from './steps/dnsLookup.sh';
import endpoint from './steps/endpoint.sh';
import fdUsage from './steps/fdUsage.sh';
import httpGet from './steps/httpGet.sh';
import inspectorClient from './steps/inspectorClient.sh';
import interfacesAndRoutes from './steps/interfacesAndRoutes.sh';
import jcmd from './steps/jcmd.sh';
import jvmAttach from './steps/jvmAttach.sh';
import jvmClassHistogram from './steps/jvmClassHistogram.sh';
import jvmHeapInfo from './steps/jvmHeapInfo.sh';
import jvmThreadDump from './steps/jvmThreadDump.sh';
import kernelStacks from './steps/kernelStacks.sh';
import listeningSockets from './steps/listeningSockets.sh';
import memoryCgroup from './steps/memoryCgroup.sh';
import memoryStatus from './steps/memoryStatus.sh';
import nodeActiveHandles from './steps/nodeActiveHandles.sh';
import nodeHeapSnapshot from './steps/nodeHeapSnapshot.sh';
import nodeOpenInspector from './steps/nodeOpenInspector.sh';
import prelude from './steps/prelude.sh';
import pythonStackDump from './steps/pythonStackDump.sh';
import resolvConf from './steps/resolvConf.sh';
import syscallTrace from './steps/syscallTrace.sh';
import tcpConnect from './steps/tcpConnect.sh';
import threadStates from './steps/threadStates.sh';

/** What runs before every step: exports its NAME=VALUE arguments, defines printable and need_target, enters ARTIFACT_DIR. */
export const STEP_PRELUDE = shellScript(prelude);

/** A step as sent: its fragments and its file, without comment and blank lines (here-documents hold none). */
const step = (...parts: string[]): string => shellScript(parts.join('\n'));

// --- network, memory, descriptors, threads, cores, databases -------------------------------------------------
export const RESOLV_CONF = step(resolvConf);
export const LISTENING_SOCKETS = step(listeningSockets);
export const INTERFACES_AND_ROUTES = step(interfacesAndRoutes);
export const DNS_LOOKUP = step(dnsLookup);
export const TCP_CONNECT = step(endpoint, tcpConnect);
export const HTTP_GET = step(httpGet);
export const MEMORY_STATUS = step(memoryStatus);
export const MEMORY_CGROUP = step(memoryCgroup);
export const FD_USAGE = step(fdUsage);
export const CORE_DUMP_SETTINGS = step(coreDumpSettings);
export const CORE_FILES = step(coreFiles);
export const THREAD_STATES = step(threadStates);
export const KERNEL_STACKS = step(kernelStacks);
export const SYSCALL_TRACE = step(syscallTrace);
export const DB_CONNECT = step(endpoint, dbConnect);

// --- Node, JVM, Python --------------------------------------------------------------------------------------
export const NODE_OPEN_INSPECTOR = step(nodeOpenInspector);
export const NODE_ACTIVE_HANDLES = step(inspectorClient, nodeActiveHandles);
export const NODE_HEAP_SNAPSHOT = step(inspectorClient, nodeHeapSnapshot);
export const JVM_ATTACH = step(jvmAttach);
export const JVM_THREAD_DUMP = step(jcmd, jvmThreadDump);
export const JVM_HEAP_INFO = step(jcmd, jvmHeapInfo);
export const JVM_CLASS_HISTOGRAM = step(jcmd, jvmClassHistogram);
export const PYTHON_STACK_DUMP = step(pythonStackDump);
