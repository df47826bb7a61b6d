// The block is redrawn by moving the cursor up over it and clearing to the end of the screen
// (VT100's CUU and ED, which every terminal emulator has): nothing but what it drew is
// touched, and a finished layer's line is written where the block was, so it scrolls up and
// stays.
#include "launcher/registry/progress.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

using Clock = std::chrono::steady_clock;

// At most 10 redraws a second: enough to look alive, little enough for a slow ssh link.
constexpr std::chrono::milliseconds redraw_every{100};

std::string mb(std::int64_t bytes) {
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / 1e6);
  return buf;
}

std::string rate(std::int64_t bytes, double seconds) {
  return mb(seconds > 0 ? static_cast<std::int64_t>(static_cast<double>(bytes) / seconds) : 0) +
         " MB/s";
}

void write_err(const std::string& s) {
  (void)write_full(STDERR_FILENO, s); // a closed stderr must not fail the pull
}

// How many lines the block may take: the terminal's height less the line the cursor is on
// (a block taller than the screen cannot be redrawn in place).
std::size_t max_block_lines() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) != 0 || w.ws_row < 3)
    return 24;
  return static_cast<std::size_t>(w.ws_row) - 1;
}

} // namespace

std::vector<std::string> progress_lines(const std::vector<LayerProgress>& active,
                                        std::size_t layers_done, std::size_t layers,
                                        std::int64_t got, std::int64_t total, double seconds) {
  std::vector<std::string> lines;
  for (const auto& l : active) {
    const long pct = l.size > 0 ? static_cast<long>(l.got * 100 / l.size) : 0;
    lines.push_back("  " + l.id + ": " + mb(l.got) + "/" + mb(l.size) + " MB (" +
                    std::to_string(pct) + "%), " + rate(l.got, l.seconds));
  }
  std::string t = "pulling: " + std::to_string(layers_done) + "/" + std::to_string(layers) +
                  " layers, " + mb(got) + "/" + mb(total) + " MB, " + rate(got, seconds);
  const double per_second = seconds > 0 ? static_cast<double>(got) / seconds : 0;
  if (per_second > 0 && got < total)
    t += ", " + std::to_string(static_cast<long>(static_cast<double>(total - got) / per_second)) +
         " s left";
  lines.push_back(t);
  return lines;
}

Progress::Progress(bool quiet, std::vector<std::string> ids, std::vector<std::int64_t> sizes,
                   std::int64_t total)
    : quiet_(quiet), tty_(!quiet && ::isatty(STDERR_FILENO) == 1), total_(total),
      start_(Clock::now()) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Layer& l = layers_.emplace_back();
    l.id = std::move(ids[i]);
    l.size = i < sizes.size() ? sizes[i] : 0;
  }
  if (tty_)
    thread_ = std::thread([this] { redraw_loop(); });
}

Progress::~Progress() {
  if (!tty_)
    return;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  write_err(take_block());
}

void Progress::started(std::size_t layer) {
  const std::lock_guard<std::mutex> lock(mu_);
  layers_[layer].start = Clock::now();
  layers_[layer].state = State::active;
}

void Progress::add_bytes(std::size_t layer, std::size_t n) {
  layers_[layer].got += static_cast<std::int64_t>(n);
  bytes_ += static_cast<std::int64_t>(n);
}

void Progress::finished(std::size_t layer, const std::string& line) {
  const std::lock_guard<std::mutex> lock(mu_);
  layers_[layer].state = State::finished;
  ++done_;
  if (quiet_)
    return;
  if (!tty_) {
    log_line(line);
    return;
  }
  // The block goes, the line takes its place; the next tick draws the block below it.
  write_err(take_block() + line + "\n");
}

std::string Progress::take_block() {
  if (drawn_ == 0)
    return {};
  const std::size_t up = drawn_ - 1;
  drawn_ = 0;
  return "\r" + (up > 0 ? "\033[" + std::to_string(up) + "A" : "") + "\033[J";
}

void Progress::draw() {
  const auto now = Clock::now();
  std::vector<LayerProgress> active;
  const std::size_t room = max_block_lines() - 1; // the total's line
  for (const Layer& l : layers_)
    if (l.state == State::active && active.size() < room)
      active.push_back({l.id, l.got, l.size, std::chrono::duration<double>(now - l.start).count()});
  const auto lines = progress_lines(active, done_, layers_.size(), bytes_, total_,
                                    std::chrono::duration<double>(now - start_).count());
  std::string s;
  for (const auto& line : lines)
    s += (s.empty() ? "" : "\n") + line;
  write_err(take_block() + s);
  drawn_ = lines.size();
}

void Progress::redraw_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    draw();
    if (cv_.wait_for(lock, redraw_every, [this] { return stop_; }))
      return;
  }
}

} // namespace cinit::launcher
