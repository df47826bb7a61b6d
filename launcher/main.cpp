// launcher: argv -> options -> one command. Errors of the launcher itself are one line on
// stderr and exit 125 (docker/podman); the container's own status passes through.
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "common/version.hpp"
#include "launcher/cli.hpp"
#include "launcher/config.hpp"
#include "launcher/error.hpp"
#include "launcher/image/import.hpp"
#include "launcher/image/store.hpp"
#include "launcher/registry/login.hpp"
#include "launcher/registry/pull.hpp"
#include "launcher/run/idmap.hpp"
#include "launcher/run/namespaces.hpp"
#include "launcher/run/runtime.hpp"

#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace cinit::launcher;

constexpr int launcher_failure = 125;

void warn_no_subids(const Store& store, const IdMapPlan& plan) {
  if (!plan.sub_ids)
    store.warn_once("no-subids", "no /etc/subuid and /etc/subgid range for '" + plan.user +
                                     "': mapping the user alone to root; images with other "
                                     "users will not work fully");
}

int images(const Store& store) {
  std::cout << "NAME\tLAYERS\n";
  for (const auto& img : store.list_images())
    std::cout << img.name << '\t' << img.layers.size() << '\n';
  return 0;
}

// Pulls in the user namespace (layers keep their owners), as import does; 0 on success.
int pull(const Store& store, const PullOptions& opts, bool print_name) {
  const IdMapPlan plan = plan_id_map();
  warn_no_subids(store, plan);
  const cinit::UniqueFd lock = store.lock(false);
  return run_in_userns(plan, [&] {
    (void)pull_image(store, opts, print_name);
    return 0;
  });
}

// `run IMAGE`: the stored image of that name (or of that reference's full name), pulled
// first when missing or when asked to. Returns the store's name, or nullopt when the pull
// failed (its child said why).
std::optional<std::string> image_to_run(const Store& store, const RunOptions& opts) {
  // A path (an archive on a shared filesystem): imported on first use. Under the store's
  // exclusive lock, so that the tasks of a job starting at once on one node import it once;
  // the others wait for it, then find it.
  if (const auto local = run_source_name(opts.image)) {
    if (store.load_image(*local))
      return local;
    const IdMapPlan plan = plan_id_map();
    warn_no_subids(store, plan);
    const cinit::UniqueFd lock = store.lock(true);
    if (store.load_image(*local))
      return local;
    const ImportOptions imp{.source = opts.image, .name = *local, .quiet = true};
    if (run_in_userns(plan, [&] { return import_image(store, imp); }) != 0)
      return std::nullopt;
    return local;
  }
  const auto ref_name = reference_name(opts.image);
  if (opts.pull != PullPolicy::always) {
    if (store.load_image(opts.image))
      return opts.image;
    if (ref_name && store.load_image(*ref_name))
      return *ref_name;
    if (opts.pull == PullPolicy::never || !ref_name)
      return opts.image; // run_container says it is not there
  }
  if (!ref_name)
    throw SysError("unable to pull '" + opts.image + "': not an image reference");
  const PullOptions p{
      .reference = opts.image, .name = {}, .platform = {}, .jobs = 4, .quiet = false};
  const IdMapPlan plan = plan_id_map();
  warn_no_subids(store, plan);
  const cinit::UniqueFd lock = store.lock(false);
  const int code = run_in_userns(plan, [&] {
    try {
      (void)pull_image(store, p, false);
    } catch (const SysError& e) {
      throw SysError("unable to find image '" + opts.image + "' here, nor pull it: " + e.what());
    }
    return 0;
  });
  if (code != 0)
    return std::nullopt;
  return *ref_name;
}

int dispatch(const Cli& cli) {
  switch (cli.command) {
  case Command::help:
    std::cout << usage(cli.help_topic);
    return 0;
  case Command::version:
    std::cout << "launcher " << cinit::version << '\n';
    return 0;
  case Command::login: // the user's own files: no store, no user namespace
    login(cli.login);
    return 0;
  case Command::logout:
    logout(cli.login);
    return 0;
  case Command::import:
  case Command::pull:
  case Command::images:
  case Command::rm:
  case Command::run:
    break;
  }
  const Config cfg = load_config();
  const Store store(choose_data_root(cfg));
  switch (cli.command) {
  case Command::import: {
    // Unpacking runs as root of a user namespace with the sub-id map, so that owners in the
    // layers (uid 100, 1000, ...) are kept as the container will see them.
    const IdMapPlan plan = plan_id_map();
    warn_no_subids(store, plan);
    const cinit::UniqueFd lock = store.lock(false);
    return run_in_userns(plan, [&] { return import_image(store, cli.import); });
  }
  case Command::pull:
    return pull(store, cli.pull, true);
  case Command::images:
    return images(store);
  case Command::rm: {
    const cinit::UniqueFd lock = store.lock(true);
    const auto image = store.load_image(cli.rm_name);
    if (!image)
      throw SysError("unable to remove image '" + cli.rm_name + "': no such image");
    // Layers hold files owned by sub-ids: only the namespace's root may remove them.
    const IdMapPlan plan = plan_id_map();
    return run_in_userns(plan, [&] {
      (void)store.remove_image(image->name);
      return 0;
    });
  }
  case Command::run: {
    const auto name = image_to_run(store, cli.run);
    if (!name)
      return launcher_failure;
    RunOptions run = cli.run;
    run.image = *name;
    return run_container(store, cfg, run);
  }
  case Command::help:
  case Command::version:
  case Command::login:
  case Command::logout:
    break;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("launcher");
  // A write to a pipe whose reader died (a helper, the container's first process before
  // exec) must be an EPIPE error, not our death. The container gets SIG_DFL back before exec.
  (void)::signal(SIGPIPE, SIG_IGN);
  try {
    const Cli cli = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
    const int code = dispatch(cli);
    std::cout.flush();
    return code;
  } catch (const std::exception& e) {
    std::cout.flush();
    cinit::die(launcher_failure, e.what());
  }
}
