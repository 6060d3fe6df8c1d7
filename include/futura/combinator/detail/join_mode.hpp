// futura/combinator/detail/join_mode.hpp — what a join does with each child's output.
//
// The join cores (join_core.hpp, join_all_core.hpp) run one algorithm for `join`/`join_all`
// and `try_join`/`try_join_all`; a mode says how an output is stored and how the result is
// built. join_collect_mode keeps every output as is; join_try_mode (join_try_mode.hpp) unwraps
// `boost::system::result` values and stops at the first error.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/core/poll_result.hpp>

#include <utility>

namespace futura::detail {

struct join_collect_mode {
  static constexpr bool short_circuits = false;

  /// What is kept of a child's output `Out`.
  template <class Out>
  using value_t = Out;
  /// The join's output, given the collection (`std::tuple` or `std::vector`) of the values.
  template <class Values>
  using output_t = Values;

  template <class Out>
  static bool failed(const Out&) noexcept {
    return false;
  }
  template <class Out>
  static Out value(Out&& out) {
    return std::forward<Out>(out);
  }
  /// The ready output, the collection built in place from `args`.
  template <class Values, class... Args>
  static poll_result<Values> ready(Args&&... args) {
    return poll_result<Values>(std::in_place, std::forward<Args>(args)...);
  }
};

/// The base of the tags of join and join_all (detail/basic_join.hpp): any futures, every output
/// kept as it is. A tag adds only its `name`, the one rule 4's error gives.
struct collecting_join : any_future_goes {
  template <class... Fs>
  using mode = join_collect_mode;
};

/// The tags of join (combinator/join.hpp) and join_all (combinator/join_all.hpp).
struct join_combinator : collecting_join {
  static constexpr const char* name = "futura::join_future";
};
struct join_all_combinator : collecting_join {
  static constexpr const char* name = "futura::join_all_future";
};

}  // namespace futura::detail
