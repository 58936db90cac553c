/*
 * Container shim of the loopback kubelet: does, with raw syscalls, what runc does for a real kubelet,
 * so the kernel (not our TypeScript) enforces namespaces, users and capabilities.
 *
 *   shim run [options] -- ARGV...   start a container process (or join a running one with --join PID)
 *   shim connect NETNS_PATH PORT     connect to 127.0.0.1:PORT inside a network namespace, relay stdio
 *
 * Protocol with the kubelet: fd 3 (optional) carries "COLS ROWS\n" lines to resize the PTY; fd 4
 * (optional) receives "pid N\n" (host pid of the container process) and, when set-up or execve fails,
 * one "error MESSAGE\n" line. fd 4 reaching EOF without an error line means execve succeeded.
 * The shim exits with the container process's status (128+N when killed by signal N).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CONTROL_FD 3
#define INFO_FD 4
#define MAX_LIST 256

struct options {
  const char *netns, *utsns, *ipcns, *pidns;
  int new_net, new_uts, new_ipc, new_pid;
  int join_pid;
  const char *lower, *upper, *work, *merged, *bind_rootfs;
  int readonly, mount_proc;
  const char *hostname, *workdir;
  long uid, gid;
  gid_t groups[MAX_LIST];
  int ngroups;
  uint64_t caps;
  int caps_all, caps_set, no_new_privs, tty;
  unsigned short cols, rows;
  char *env[MAX_LIST + 1];
  int nenv;
  char **argv;
};

static int info_fd = -1;

static void report(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  if (info_fd >= 0) {
    ssize_t ignored = write(info_fd, buf, n);
    (void)ignored;
  } else {
    ssize_t ignored = write(2, buf, n);
    (void)ignored;
  }
}

/* Go-style error text ("no such file or directory"), as runc prints it. */
static const char *err_text(int err) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s", strerror(err));
  if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = buf[0] - 'A' + 'a';
  return buf;
}

static void fail(const char *what) {
  report("error %s: %s", what, err_text(errno));
  _exit(127);
}

static void join_ns(const char *path, int type, const char *what) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, type) < 0) fail(what);
  close(fd);
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail("get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail("set lo up");
  close(s);
}

static void mkdir_p(const char *path, mode_t mode) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      mkdir(buf, mode);
      *p = '/';
    }
  }
  mkdir(buf, mode);
}

static void bind_dev(const char *root, const char *name) {
  char src[256], dst[4096];
  snprintf(src, sizeof src, "/dev/%s", name);
  snprintf(dst, sizeof dst, "%s/dev/%s", root, name);
  int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
  if (fd >= 0) close(fd);
  if (mount(src, dst, NULL, MS_BIND, NULL) < 0) fail("bind /dev device");
}

/* Container /dev: a tmpfs with the harmless devices bound from the host, like runc's default set. */
static void setup_dev(const char *root) {
  char path[4096];
  snprintf(path, sizeof path, "%s/dev", root);
  mkdir(path, 0755);
  if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0) fail("mount /dev");
  const char *devices[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx"};
  for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) bind_dev(root, devices[i]);
  snprintf(path, sizeof path, "%s/dev/pts", root);
  mkdir(path, 0755);
  /* The PTY slave comes from the host's devpts: bind it so `tty` inside names a real path. */
  if (mount("/dev/pts", path, NULL, MS_BIND, NULL) < 0) fail("bind /dev/pts");
  snprintf(path, sizeof path, "%s/dev/shm", root);
  mkdir(path, 01777);
  if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0) fail("mount /dev/shm");
  const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    snprintf(path, sizeof path, "%s/dev/%s", root, links[i][1]);
    if (symlink(links[i][0], path) < 0) fail("symlink in /dev");
  }
}

static void setup_rootfs(struct options *o) {
  if (unshare(CLONE_NEWNS) < 0) fail("unshare mount namespace");
  /* Private propagation: nothing mounted here may leak to the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("make mounts private");
  const char *root = o->merged;
  if (o->bind_rootfs) {
    if (mount(o->bind_rootfs, root, NULL, MS_BIND | MS_REC, NULL) < 0) fail("bind rootfs");
  } else {
    char data[8192];
    snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", o->lower, o->upper, o->work);
    if (mount("overlay", root, "overlay", 0, data) < 0) fail("mount overlay rootfs");
  }
  char path[4096];
  if (o->mount_proc) {
    snprintf(path, sizeof path, "%s/proc", root);
    mkdir(path, 0555);
    if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("mount /proc");
  }
  setup_dev(root);
  if (o->readonly && mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) fail("remount rootfs read-only");
  /* pivot_root rather than chroot: the namespace's root becomes the image, so a later setns() by
   * exec lands in it and a root process cannot chroot its way out. */
  if (chdir(root) < 0) fail("chdir to rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root");
  if (umount2(".", MNT_DETACH) < 0) fail("detach old root");
  if (chdir("/") < 0) fail("chdir /");
}

static int capset_all(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = (uint32_t)eff;
  data[1].effective = (uint32_t)(eff >> 32);
  data[0].permitted = (uint32_t)perm;
  data[1].permitted = (uint32_t)(perm >> 32);
  data[0].inheritable = (uint32_t)inh;
  data[1].inheritable = (uint32_t)(inh >> 32);
  return syscall(SYS_capset, &hdr, data);
}

static uint64_t current_permitted(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) < 0) fail("capget");
  return (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
}

/* Users, groups and capabilities the way containerd sets them: bounding = permitted = effective = the
 * container's set, inheritable and ambient empty. execve then leaves a root process with that set and
 * a non-root one with none, which is exactly Kubernetes' (often surprising) behaviour. */
static void drop_privileges(struct options *o) {
  if (o->uid < 0) return;
  int last_cap = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  if (f) {
    if (fscanf(f, "%d", &last_cap) != 1) last_cap = 40;
    fclose(f);
  }
  uint64_t wanted = o->caps_all ? ~0ULL : o->caps;
  uint64_t keep = wanted & current_permitted();
  for (int cap = 0; cap <= last_cap; cap++) {
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_READ, cap) == 1 && prctl(PR_CAPBSET_DROP, cap) < 0)
      fail("drop bounding capability");
  }
  if (prctl(PR_SET_KEEPCAPS, 1) < 0) fail("keep capabilities");
  if (setgroups(o->ngroups, o->groups) < 0) fail("setgroups");
  if (setresgid(o->gid, o->gid, o->gid) < 0) fail("setgid");
  if (setresuid(o->uid, o->uid, o->uid) < 0) fail("setuid");
  if (capset_all(keep, keep, 0) < 0) fail("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail("clear ambient");
  if (prctl(PR_SET_KEEPCAPS, 0) < 0) fail("reset keep capabilities");
  if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("no_new_privs");
}

static void exec_container(struct options *o) {
  if (o->workdir) {
    if (chdir(o->workdir) < 0) {
      if (errno == ENOENT && !o->readonly) {
        mkdir_p(o->workdir, 0755);
        if (chdir(o->workdir) < 0) fail("chdir to working directory");
      } else {
        fail("chdir to working directory");
      }
    }
  }
  drop_privileges(o);
  clearenv();
  for (int i = 0; i < o->nenv; i++) putenv(o->env[i]);
  execvp(o->argv[0], o->argv);
  int err = errno;
  if (err == ENOENT && !strchr(o->argv[0], '/'))
    report("error exec: \"%s\": executable file not found in $PATH", o->argv[0]);
  else
    report("error exec: \"%s\": %s", o->argv[0], err_text(err));
  _exit(err == ENOENT ? 127 : 126);
}

static void child(struct options *o, int pty_master, const char *slave_name) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (o->tty) {
    close(pty_master);
    if (setsid() < 0) fail("setsid");
    int slave = open(slave_name, O_RDWR);
    if (slave < 0) fail("open pty slave");
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("set controlling terminal");
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
  }
  close(CONTROL_FD);
  if (o->join_pid > 0) {
    char path[64];
    const char *kinds[] = {"net", "uts", "ipc", "mnt"};
    const int types[] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS};
    for (int i = 0; i < 4; i++) {
      snprintf(path, sizeof path, "/proc/%d/ns/%s", o->join_pid, kinds[i]);
      join_ns(path, types[i], "join container namespace");
    }
    exec_container(o);
  }
  if (o->netns) join_ns(o->netns, CLONE_NEWNET, "join network namespace");
  if (o->utsns) join_ns(o->utsns, CLONE_NEWUTS, "join uts namespace");
  if (o->ipcns) join_ns(o->ipcns, CLONE_NEWIPC, "join ipc namespace");
  int flags = (o->new_net ? CLONE_NEWNET : 0) | (o->new_uts ? CLONE_NEWUTS : 0) | (o->new_ipc ? CLONE_NEWIPC : 0);
  if (flags && unshare(flags) < 0) fail("unshare pod namespaces");
  if (o->new_net) loopback_up();
  if (o->new_uts && o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0) fail("sethostname");
  if (o->merged) setup_rootfs(o);
  exec_container(o);
}

static pid_t child_pid;
static void forward_signal(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

static int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, -1);
        continue;
      }
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static void apply_size(int master, unsigned short cols, unsigned short rows) {
  struct winsize ws = {rows, cols, 0, 0};
  if (cols && rows) ioctl(master, TIOCSWINSZ, &ws);
}

/* Relays stdin -> PTY master, master -> stdout, and resize lines from fd 3, until the child exits. */
static int relay_pty(int master) {
  char buf[65536], line[128];
  size_t line_len = 0;
  int stdin_open = 1, control_open = fcntl(CONTROL_FD, F_GETFD) >= 0, status = 0, exited = 0;
  while (1) {
    struct pollfd fds[3] = {{master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {control_open ? CONTROL_FD : -1, POLLIN, 0}};
    int n = poll(fds, 3, exited ? 50 : 200);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r > 0) {
        if (write_all(1, buf, (size_t)r) < 0) break;
        continue;
      }
      if (exited || r == 0 || (r < 0 && errno == EIO)) {
        if (exited) break;
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r > 0) write_all(master, buf, (size_t)r);
      else stdin_open = 0;
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(CONTROL_FD, line + line_len, sizeof line - 1 - line_len);
      if (r <= 0) {
        control_open = 0;
      } else {
        line_len += (size_t)r;
        line[line_len] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
          *nl = 0;
          unsigned cols, rows;
          if (sscanf(line, "%u %u", &cols, &rows) == 2) apply_size(master, (unsigned short)cols, (unsigned short)rows);
          memmove(line, nl + 1, strlen(nl + 1) + 1);
          line_len = strlen(line);
        }
        if (line_len >= sizeof line - 1) line_len = 0;
      }
    }
    if (!exited) {
      pid_t w = waitpid(child_pid, &status, WNOHANG);
      if (w == child_pid) exited = 1;
    } else if (n == 0) {
      break; /* child gone and the terminal has been quiet: everything is drained */
    }
  }
  if (!exited) waitpid(child_pid, &status, 0);
  return exit_code(status);
}

static int run(struct options *o) {
  if (fcntl(INFO_FD, F_GETFD) >= 0) {
    info_fd = INFO_FD;
    fcntl(info_fd, F_SETFD, FD_CLOEXEC);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* the kubelet died: take the container down with us */
  int pty_master = -1;
  char slave_name[128] = "";
  if (o->tty) {
    pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_master < 0 || grantpt(pty_master) < 0 || unlockpt(pty_master) < 0 ||
        ptsname_r(pty_master, slave_name, sizeof slave_name) != 0)
      fail("open pty");
    apply_size(pty_master, o->cols ? o->cols : 80, o->rows ? o->rows : 24);
  }
  /* PID namespaces apply to children only: enter or create them here, then fork. */
  if (o->join_pid > 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", o->join_pid);
    join_ns(path, CLONE_NEWPID, "join pid namespace");
  } else if (o->pidns) {
    join_ns(o->pidns, CLONE_NEWPID, "join pid namespace");
  } else if (o->new_pid && unshare(CLONE_NEWPID) < 0) {
    fail("unshare pid namespace");
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);
  child_pid = fork();
  if (child_pid < 0) fail("fork");
  if (child_pid == 0) {
    child(o, pty_master, slave_name);
    _exit(127);
  }
  if (info_fd >= 0) {
    report("pid %d", child_pid);
    close(info_fd);
    info_fd = -1;
  }
  if (o->tty) {
    fcntl(pty_master, F_SETFL, O_NONBLOCK);
    return relay_pty(pty_master);
  }
  /* The container owns stdio now; holding our copies would only delay EOF for the kubelet. */
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  close(CONTROL_FD);
  int status;
  while (waitpid(child_pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  return exit_code(status);
}

/* Byte relay between stdio and a TCP connection inside the pod's network namespace. Buffered in both
 * directions and non-blocking so a peer that writes while we write cannot deadlock us. */
static int connect_and_relay(const char *netns, int port) {
  if (fcntl(INFO_FD, F_GETFD) >= 0) {
    info_fd = INFO_FD;
    fcntl(info_fd, F_SETFD, FD_CLOEXEC);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  join_ns(netns, CLONE_NEWNET, "join network namespace");
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    report("error dial tcp4 127.0.0.1:%d: connect: %s", port, err_text(errno));
    return 1;
  }
  report("ok");
  close(info_fd);
  info_fd = -1;
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
  static char up[262144], down[262144];
  size_t up_len = 0, up_off = 0, down_len = 0, down_off = 0;
  int in_open = 1, sock_open = 1, up_shut = 0, out_closed = 0;
  while (!(up_shut && out_closed)) {
    struct pollfd fds[4] = {
        {(in_open && up_len == 0) ? 0 : -1, POLLIN, 0},
        {(sock_open && down_len == 0) ? s : -1, POLLIN, 0},
        {up_len ? s : -1, POLLOUT, 0},
        {down_len ? 1 : -1, POLLOUT, 0},
    };
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents) {
      ssize_t r = read(0, up, sizeof up);
      if (r > 0) { up_len = (size_t)r; up_off = 0; }
      else if (r == 0 || errno != EAGAIN) in_open = 0;
    }
    if (fds[1].revents) {
      ssize_t r = read(s, down, sizeof down);
      if (r > 0) { down_len = (size_t)r; down_off = 0; }
      else if (r == 0 || (errno != EAGAIN && errno != EINTR)) sock_open = 0;
    }
    if (fds[2].revents) {
      ssize_t w = write(s, up + up_off, up_len - up_off);
      if (w > 0) { up_off += (size_t)w; if (up_off == up_len) up_len = 0; }
      else if (w < 0 && errno != EAGAIN) { up_len = 0; in_open = 0; }
    }
    if (fds[3].revents) {
      ssize_t w = write(1, down + down_off, down_len - down_off);
      if (w > 0) { down_off += (size_t)w; if (down_off == down_len) down_len = 0; }
      else if (w < 0 && errno != EAGAIN) { down_len = 0; sock_open = 0; }
    }
    if (!in_open && up_len == 0 && !up_shut) { shutdown(s, SHUT_WR); up_shut = 1; }
    if (!sock_open && down_len == 0 && !out_closed) { close(1); out_closed = 1; }
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: shim run [options] -- ARGV... | shim connect NETNS PORT\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "connect") == 0) return connect_and_relay(argv[2], atoi(argv[3]));
  if (argc < 3 || strcmp(argv[1], "run") != 0) usage();
  struct options o;
  memset(&o, 0, sizeof o);
  o.uid = -1;
  o.gid = -1;
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && ++i)
    if (strcmp(a, "--") == 0) { i++; break; }
    else if (strcmp(a, "--new-net") == 0) o.new_net = 1;
    else if (strcmp(a, "--new-uts") == 0) o.new_uts = 1;
    else if (strcmp(a, "--new-ipc") == 0) o.new_ipc = 1;
    else if (strcmp(a, "--new-pid") == 0) o.new_pid = 1;
    else if (strcmp(a, "--readonly") == 0) o.readonly = 1;
    else if (strcmp(a, "--proc") == 0) o.mount_proc = 1;
    else if (strcmp(a, "--no-new-privs") == 0) o.no_new_privs = 1;
    else if (strcmp(a, "--tty") == 0) o.tty = 1;
    else if (OPT("--netns")) o.netns = v;
    else if (OPT("--utsns")) o.utsns = v;
    else if (OPT("--ipcns")) o.ipcns = v;
    else if (OPT("--pidns")) o.pidns = v;
    else if (OPT("--join")) o.join_pid = atoi(v);
    else if (OPT("--lower")) o.lower = v;
    else if (OPT("--upper")) o.upper = v;
    else if (OPT("--work")) o.work = v;
    else if (OPT("--merged")) o.merged = v;
    else if (OPT("--bind-rootfs")) o.bind_rootfs = v;
    else if (OPT("--hostname")) o.hostname = v;
    else if (OPT("--workdir")) o.workdir = v;
    else if (OPT("--uid")) o.uid = atol(v);
    else if (OPT("--gid")) o.gid = atol(v);
    else if (OPT("--cols")) o.cols = (unsigned short)atoi(v);
    else if (OPT("--rows")) o.rows = (unsigned short)atoi(v);
    else if (OPT("--group")) { if (o.ngroups < MAX_LIST) o.groups[o.ngroups++] = (gid_t)atol(v); }
    else if (OPT("--env")) { if (o.nenv < MAX_LIST) o.env[o.nenv++] = (char *)v; }
    else if (OPT("--caps")) {
      o.caps_set = 1;
      if (strcmp(v, "all") == 0) o.caps_all = 1;
      else o.caps = strtoull(v, NULL, 16);
    }
    else usage();
#undef OPT
  }
  if (i >= argc) usage();
  if (o.uid >= 0 && o.gid < 0) o.gid = 0;
  o.argv = &argv[i];
  return run(&o);
}
