// The C++17 counterpart of Rust's classic
//
//     async fn add(a: i32, b: i32) -> i32 { a + b }
//     fn main() { println!("{}", block_on(add(10, 20))); }
//
// An "async function" is a function that returns a future; nothing runs until it is polled.
#include <futura/core.hpp>

#include <iostream>

namespace {

// Returns a lazy future: the addition happens at the first poll, inside block_on.
auto add(int a, int b) {
  return futura::lazy([a, b] { return a + b; });
}

}  // namespace

int main() {
  int sum = futura::block_on(add(10, 20));
  std::cout << sum << '\n';  // 30
  return sum == 30 ? 0 : 1;
}
