#include "launcher/cli.hpp"

#include "launcher/error.hpp"

namespace cinit::launcher {
namespace {

[[noreturn]] void usage_error(const std::string& msg, const std::string& cmd) {
  throw SysError(msg + " (see 'launcher " + (cmd.empty() ? "" : cmd + " ") + "--help')");
}

// Takes the value of `-x V`, `--long V` or `--long=V` at args[i]; advances i.
std::optional<std::string> take_value(const std::vector<std::string>& args, std::size_t& i,
                                      std::initializer_list<const char*> names,
                                      const std::string& cmd) {
  const std::string& a = args[i];
  for (const char* n : names) {
    const std::string name = n;
    if (a == name) {
      if (i + 1 >= args.size())
        usage_error("option " + name + " needs a value", cmd);
      return args[++i];
    }
    if (name.starts_with("--") && a.starts_with(name + "="))
      return a.substr(name.size() + 1);
  }
  return std::nullopt;
}

bool is_help(const std::string& a) {
  return a == "--help" || a == "-h";
}

} // namespace

Cli parse_cli(const std::vector<std::string>& args) {
  Cli cli;
  if (args.empty() || is_help(args[0]))
    return cli;
  if (args[0] == "--version") {
    cli.command = Command::version;
    return cli;
  }
  const std::string& cmd = args[0];
  if (cmd == "help") {
    cli.help_topic = args.size() > 1 ? args[1] : "";
    return cli;
  }
  // After run's IMAGE, --help belongs to the command; run checks its own flags below.
  if (cmd != "run")
    for (std::size_t i = 1; i < args.size(); ++i)
      if (is_help(args[i])) {
        cli.help_topic = cmd;
        return cli;
      }

  if (cmd == "import") {
    cli.command = Command::import;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (auto v = take_value(args, i, {"--name", "-n"}, cmd))
        cli.import.name = *v;
      else if (args[i].starts_with('-') && args[i] != "-")
        usage_error("unknown option '" + args[i] + "'", cmd);
      else if (args[i].empty())
        usage_error("import needs a SOURCE, not ''", cmd);
      else if (cli.import.source.empty())
        cli.import.source = args[i];
      else
        usage_error("unexpected argument '" + args[i] + "'", cmd);
    }
    if (cli.import.source.empty())
      usage_error("import needs a SOURCE", cmd);
    return cli;
  }
  if (cmd == "pull") {
    cli.command = Command::pull;
    PullOptions& p = cli.pull;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (auto v = take_value(args, i, {"--name", "-n"}, cmd)) {
        p.name = *v;
      } else if (auto pl = take_value(args, i, {"--platform"}, cmd)) {
        p.platform = *pl;
      } else if (auto j = take_value(args, i, {"--jobs", "-j"}, cmd)) {
        if (j->empty() || j->size() > 2 ||
            j->find_first_not_of("0123456789") != std::string::npos || std::stoi(*j) < 1 ||
            std::stoi(*j) > 32)
          usage_error("--jobs must be a number from 1 to 32, not '" + *j + "'", cmd);
        p.jobs = std::stoi(*j);
      } else if (args[i] == "--quiet" || args[i] == "-q") {
        p.quiet = true;
      } else if (args[i].starts_with('-')) {
        usage_error("unknown option '" + args[i] + "'", cmd);
      } else if (args[i].empty()) {
        usage_error("pull needs a REFERENCE, not ''", cmd);
      } else if (p.reference.empty()) {
        p.reference = args[i];
      } else {
        usage_error("unexpected argument '" + args[i] + "'", cmd);
      }
    }
    if (p.reference.empty())
      usage_error("pull needs a REFERENCE", cmd);
    return cli;
  }
  if (cmd == "login" || cmd == "logout") {
    cli.command = cmd == "login" ? Command::login : Command::logout;
    LoginOptions& l = cli.login;
    for (std::size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (cmd == "login" && (a == "-p" || a.starts_with("--password=") || a == "--password"))
        // As `docker login -p` warns: a password in argv is in every user's `ps`.
        usage_error("a password on the command line is refused (others can read it): type it "
                    "at the prompt or use --password-stdin",
                    cmd);
      if (auto u = cmd == "login" ? take_value(args, i, {"--username", "-u"}, cmd) : std::nullopt) {
        if (u->empty())
          usage_error("--username needs a USER", cmd);
        l.user = *u;
      } else if (cmd == "login" && a == "--password-stdin") {
        l.password_stdin = true;
      } else if (a.starts_with('-')) {
        usage_error("unknown option '" + a + "'", cmd);
      } else if (l.registry.empty()) {
        l.registry = a;
      } else {
        usage_error("unexpected argument '" + a + "'", cmd);
      }
    }
    if (l.registry.empty())
      usage_error(cmd + " needs a REGISTRY", cmd);
    if (l.password_stdin && l.user.empty())
      usage_error("--password-stdin needs --username", cmd);
    return cli;
  }
  if (cmd == "images") {
    cli.command = Command::images;
    if (args.size() > 1)
      usage_error("unexpected argument '" + args[1] + "'", cmd);
    return cli;
  }
  if (cmd == "rm") {
    cli.command = Command::rm;
    if (args.size() != 2 || args[1].empty() || args[1].starts_with('-'))
      usage_error("rm needs exactly one image NAME", cmd);
    cli.rm_name = args[1];
    return cli;
  }
  if (cmd == "run") {
    cli.command = Command::run;
    RunOptions& r = cli.run;
    std::size_t i = 1;
    for (; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--") {
        ++i;
        break;
      }
      if (!a.starts_with('-'))
        break;
      if (a == "--help") {
        cli.command = Command::help;
        cli.help_topic = cmd;
        return cli;
      }
      if (auto v = take_value(args, i, {"-e", "--env"}, cmd)) {
        if (v->empty() || v->front() == '=')
          usage_error("invalid environment variable '" + *v + "'", cmd);
        r.env.push_back(*v);
      } else if (auto vol = take_value(args, i, {"-v", "--volume"}, cmd)) {
        r.volumes.push_back(*vol);
      } else if (auto w = take_value(args, i, {"-w", "--workdir"}, cmd)) {
        if (!w->starts_with('/'))
          usage_error("the working directory must be absolute: '" + *w + "'", cmd);
        r.workdir = *w;
      } else if (auto u = take_value(args, i, {"-u", "--user"}, cmd)) {
        if (u->empty())
          usage_error("--user needs a USER[:GROUP]", cmd);
        r.user = *u;
      } else if (auto n = take_value(args, i, {"--net", "--network"}, cmd)) {
        if (*n != "host" && *n != "none")
          usage_error("--net must be host or none, not '" + *n + "'", cmd);
        r.net = *n;
      } else if (auto h = take_value(args, i, {"--hostname", "-h"}, cmd)) {
        if (h->empty() || h->size() > 64)
          usage_error("invalid hostname '" + *h + "'", cmd);
        r.hostname = *h;
      } else if (auto g = take_value(args, i, {"--gpus"}, cmd)) {
        r.gpus = *g;
      } else if (auto pp = take_value(args, i, {"--pull"}, cmd)) {
        if (*pp == "missing")
          r.pull = PullPolicy::missing;
        else if (*pp == "always")
          r.pull = PullPolicy::always;
        else if (*pp == "never")
          r.pull = PullPolicy::never;
        else
          usage_error("--pull must be missing, always or never, not '" + *pp + "'", cmd);
      } else if (a == "--no-init") {
        r.no_init = true;
      } else {
        usage_error("unknown option '" + a + "'", cmd);
      }
    }
    if (i >= args.size())
      usage_error("run needs an IMAGE", cmd);
    if (!args[i].empty() && !args[i].starts_with('-'))
      r.image = args[i++];
    else
      usage_error("run needs an IMAGE", cmd);
    if (i < args.size() && args[i] == "--")
      ++i;
    r.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    return cli;
  }
  usage_error("unknown command '" + cmd + "'", "");
}

std::string usage(const std::string& topic) {
  if (topic == "import")
    return "Usage: launcher import SOURCE [--name NAME]\n"
           "Imports an image into the store: an OCI image layout directory (DIR or DIR:TAG),\n"
           "an OCI archive, a docker archive (`docker save`, `podman save`, skopeo's\n"
           "docker-archive:), each compressed or not, or a root filesystem directory or tar.\n"
           "Layers are unpacked once, verified by digest, and shared between images.\n"
           "  -n, --name NAME   name in the store (default: the image's tag or file name)\n";
  if (topic == "pull")
    return "Usage: launcher pull REFERENCE [OPTIONS]\n"
           "Pulls an image from a registry (API v2, HTTPS) into the store: [HOST[:PORT]/]REPO\n"
           "[:TAG][@sha256:DIGEST], short names on docker.io, docker:// accepted. Layers the\n"
           "store has are not fetched again. Credentials from launcher login, podman's\n"
           "auth.json, $REGISTRY_AUTH_FILE or ~/.docker/config.json; CAs from\n"
           "certs.d/HOST:PORT/*.crt, a client certificate from its client.cert and client.key.\n"
           "On a terminal, each layer's bytes and rate and the time left, redrawn in place.\n"
           "  -n, --name NAME        name in the store (default: the full reference)\n"
           "      --platform OS/ARCH[/VARIANT]  from a multi-platform image (default: this host)\n"
           "  -j, --jobs N           layers fetched at once (default 4)\n"
           "  -q, --quiet            print nothing but the name\n";
  if (topic == "login")
    return "Usage: launcher login REGISTRY [-u USER] [--password-stdin]\n"
           "Checks a user name and password with REGISTRY (HOST[:PORT]) and stores them for\n"
           "pull, mode 0600, in podman's auth file: $REGISTRY_AUTH_FILE, else\n"
           "$XDG_RUNTIME_DIR/containers/auth.json, else ~/.config/containers/auth.json.\n"
           "The password is read from the terminal without echo; never from the command line.\n"
           "  -u, --username USER   the user name (default: asked on the terminal)\n"
           "      --password-stdin  read the password from stdin (needs --username)\n";
  if (topic == "logout")
    return "Usage: launcher logout REGISTRY\n"
           "Removes REGISTRY's credentials from the file login stores them in; other entries\n"
           "are kept.\n";
  if (topic == "images")
    return "Usage: launcher images\nLists the images in the store: name, layers, size.\n";
  if (topic == "rm")
    return "Usage: launcher rm NAME\n"
           "Removes an image, and the layers no other image uses.\n";
  if (topic == "run")
    return "Usage: launcher run [OPTIONS] IMAGE [--] [CMD ARGS...]\n"
           "Runs IMAGE rootless: user namespace (sub-id ranges via newuidmap), overlayfs\n"
           "root with a fresh tmpfs upper layer, cinit as PID 1. IMAGE may be a path\n"
           "(/..., ./...) to what import takes: imported on first use.\n"
           "Under Slurm (srun), the task's GPUs and the job's environment come in.\n"
           "  -e, --env K=V         set a variable (K alone: copy it from here)\n"
           "  -v, --volume SRC:DST[:ro]  bind SRC on DST\n"
           "  -w, --workdir DIR     working directory inside\n"
           "  -u, --user USER[:GROUP]  user inside (default: the image's USER, else root);\n"
           "                        names from the image's /etc/passwd and /etc/group\n"
           "      --net, --network host|none  network namespace: the host's (default) or\n"
           "                        a new one\n"
           "  -h, --hostname NAME   hostname inside\n"
           "      --gpus all|N,M|none  NVIDIA GPUs to bind in (default: Slurm's, else\n"
           "                        the configured ones)\n"
           "      --no-init         run CMD as PID 1 itself, without cinit\n"
           "      --pull missing|always|never  pull IMAGE first: when not in the store\n"
           "                        (default), always, or never\n"
           "Exit status: CMD's, 128+N if signal N killed it; 125 launcher failure,\n"
           "126 CMD not executable, 127 CMD not found.\n";
  return "Usage: launcher COMMAND [OPTIONS]\n"
         "Rootless containers without a daemon.\n"
         "Commands:\n"
         "  import SOURCE [--name NAME]   import an OCI/docker image or a rootfs\n"
         "  pull REFERENCE [--name NAME]  pull an image from a registry\n"
         "  login REGISTRY [-u USER]      store credentials for a registry\n"
         "  logout REGISTRY               remove them\n"
         "  images                        list images\n"
         "  rm NAME                       remove an image\n"
         "  run [OPTIONS] IMAGE [-- CMD]  run a container\n"
         "  --version                     print the version\n"
         "'launcher COMMAND --help' for a command's options.\n"
         "Config: /etc/launcher/launcher.ini, ~/.config/launcher/launcher.ini\n"
         "(or $LAUNCHER_CONFIG); data in $XDG_DATA_HOME/launcher.\n"
         "Exit status: 0 done; 125 the launcher failed; run: the container's (see its --help).\n";
}

} // namespace cinit::launcher
