// What a pull says on stderr while its layers download. Not a terminal: one line per layer as
// it ends. A terminal: those lines too, and below them a block redrawn in place at most 10
// times a second: each layer in flight (bytes, share, rate), then the total (layers, bytes,
// rate, time left). --quiet: nothing. Thread-safe: the layer threads report, one thread draws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cinit::launcher {

// One layer as the block shows it.
struct LayerProgress {
  std::string id;        // the digest's first 12 hex digits
  std::int64_t got = 0;  // bytes so far
  std::int64_t size = 0; // bytes in all
  double seconds = 0;    // since its download started
};

// The block's lines, without escapes: `active` layers, then the total. Public for the unit
// test.
std::vector<std::string> progress_lines(const std::vector<LayerProgress>& active,
                                        std::size_t layers_done, std::size_t layers,
                                        std::int64_t got, std::int64_t total, double seconds);

class Progress {
public:
  // `ids` and `sizes`: the layers of the pull, by index; `total`: the bytes it will fetch.
  Progress(bool quiet, std::vector<std::string> ids, std::vector<std::int64_t> sizes,
           std::int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void started(std::size_t layer);
  void add_bytes(std::size_t layer, std::size_t n);
  // The layer is finished (fetched, or found in the store): `line` says how.
  void finished(std::size_t layer, const std::string& line);

private:
  enum class State { waiting, active, finished };
  struct Layer {
    std::string id;
    std::int64_t size = 0;
    std::atomic<std::int64_t> got{0};
    std::atomic<State> state{State::waiting};
    std::chrono::steady_clock::time_point start{};
  };

  void draw(); // under mu_
  // Under mu_: the escapes that remove the block from the terminal, which then has none.
  std::string take_block();
  void redraw_loop();

  const bool quiet_;
  const bool tty_;
  const std::int64_t total_;
  const std::chrono::steady_clock::time_point start_;
  std::deque<Layer> layers_; // a deque: Layer holds atomics, which never move
  std::atomic<std::int64_t> bytes_{0};
  std::atomic<std::size_t> done_{0};
  std::mutex mu_;         // stderr and what is drawn
  std::size_t drawn_ = 0; // lines of the block on the terminal now
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace cinit::launcher
