// Consuming a callback that fires many times as a stream.
//
// `sensor_feed` stands for the kind of API older code is full of: `subscribe` takes a
// std::function and calls it from the feed's own thread for every reading, then lets go of it
// when the feed ends. `futura::from_callback_stream` turns that into a stream of readings, which
// the stream adapters then filter and fold like any other stream.
//
// Back-pressure: the callback side is unbounded. The feed's thread never waits: every call puts
// its reading in an unbounded channel, so if the feed outruns the consumer the readings pile up in
// memory. When that can happen, slow the producer down where it can be slowed: pause the
// subscription when too many readings wait, drop or coalesce readings inside the callback, or,
// when the producer's thread may block, send through a bounded `futura::mpsc::channel<T>(n)` with
// `futura::block_on(tx.send(v))`, which waits while n readings are buffered.
#include <futura/core.hpp>

#include <functional>
#include <iostream>
#include <thread>
#include <utility>

namespace {

struct reading {
  int sequence;
  int celsius;
};

// The legacy API: reports readings on its own thread until it has sent `count` of them.
class sensor_feed {
 public:
  explicit sensor_feed(int count) : count_(count) {}
  sensor_feed(const sensor_feed&) = delete;
  sensor_feed& operator=(const sensor_feed&) = delete;
  ~sensor_feed() {
    if (thread_.joinable()) thread_.join();
  }

  void subscribe(std::function<void(reading)> on_reading) {
    thread_ = std::thread([count = count_, on_reading = std::move(on_reading)] {
      for (int i = 0; i < count; ++i) on_reading(reading{i, 15 + (i * 7) % 20});
      // on_reading is destroyed with this thread's lambda: the stream then ends.
    });
  }

 private:
  int count_;
  std::thread thread_;
};

}  // namespace

int main() {
  sensor_feed feed(100);
  // Lazy: subscribe runs at the first poll; the stream ends once the feed lets go of the callback.
  auto readings = futura::from_callback_stream<reading>([&feed](auto cb) { feed.subscribe(cb); });

  int warm = 0;
  int last_sequence = -1;
  bool in_order = true;
  futura::block_on(std::move(readings)
                       .inspect([&](const reading& r) {
                         in_order = in_order && r.sequence == last_sequence + 1;  // one thread: call order
                         last_sequence = r.sequence;
                       })
                       .filter([](const reading& r) { return r.celsius >= 25; })
                       .for_each([&](reading r) {
                         ++warm;
                         if (warm <= 3) std::cout << "reading " << r.sequence << ": " << r.celsius << " C\n";
                       }));
  std::cout << warm << " warm readings of " << last_sequence + 1 << '\n';
  return in_order && last_sequence == 99 && warm == 50 ? 0 : 1;
}
