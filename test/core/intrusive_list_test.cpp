// detail::intrusive_list on its own (futura/core/detail/intrusive_list.hpp): the owner-private
// FIFO behind the sets' taken nodes, a join_set's finished entries and the semaphore's waiters.
// Singly linked nodes (no `prev`) take chains with append(); doubly linked ones can be unlinked
// from anywhere. Every case checks the whole order by walking the list, both ends included.
#include <futura/core/detail/intrusive_list.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <vector>

namespace {

struct single_node {
  int id = 0;
  single_node* next = nullptr;
};

struct double_node {
  int id = 0;
  double_node* prev = nullptr;
  double_node* next = nullptr;
};

static_assert(!futura::detail::has_prev_link<single_node>::value);
static_assert(futura::detail::has_prev_link<double_node>::value);

// Pops everything, in order.
template <class Node>
std::vector<int> drain(futura::detail::intrusive_list<Node>& list) {
  std::vector<int> ids;
  for (int bound = 0; bound < 100; ++bound) {
    Node* n = list.pop_front();
    if (n == nullptr) break;
    if constexpr (futura::detail::has_prev_link<Node>::value) {
      BOOST_TEST(n->prev == nullptr);  // unlinked: no stale link either way
      BOOST_TEST(n->next == nullptr);
    }
    ids.push_back(n->id);
  }
  BOOST_TEST(list.empty());
  BOOST_TEST(list.front() == nullptr);
  return ids;
}

template <class Node, std::size_t N>
std::array<Node, N> numbered() {
  std::array<Node, N> nodes{};
  for (std::size_t i = 0; i < N; ++i) nodes[i].id = static_cast<int>(i);
  return nodes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(intrusive_list)

BOOST_AUTO_TEST_CASE(empty_list_pops_null) {
  futura::detail::intrusive_list<single_node> list;
  BOOST_TEST(list.empty());
  BOOST_TEST(list.pop_front() == nullptr);
  BOOST_TEST(list.empty());
}

BOOST_AUTO_TEST_CASE(push_back_keeps_fifo_order_and_reuses_after_draining) {
  auto nodes = numbered<single_node, 4>();
  futura::detail::intrusive_list<single_node> list;
  for (auto& n : nodes) list.push_back(&n);
  BOOST_TEST(list.front() == &nodes[0]);
  BOOST_TEST(drain(list) == (std::vector<int>{0, 1, 2, 3}));
  // Drained, the list must not remember its old tail.
  list.push_back(&nodes[2]);
  list.push_back(&nodes[1]);
  BOOST_TEST(drain(list) == (std::vector<int>{2, 1}));
}

BOOST_AUTO_TEST_CASE(append_links_a_chain_behind_the_queued_nodes) {
  auto nodes = numbered<single_node, 5>();
  futura::detail::intrusive_list<single_node> list;
  list.append(&nodes[0], &nodes[0]);  // a chain of one, into an empty list
  // A chain 1 -> 2 -> 3 whose last node still points somewhere: append cuts it there.
  nodes[1].next = &nodes[2];
  nodes[2].next = &nodes[3];
  nodes[3].next = &nodes[4];
  list.append(&nodes[1], &nodes[3]);
  list.push_back(&nodes[4]);
  BOOST_TEST(drain(list) == (std::vector<int>{0, 1, 2, 3, 4}));
}

BOOST_AUTO_TEST_CASE(unlink_from_head_middle_and_tail) {
  for (int victim = 0; victim < 4; ++victim) {
    auto nodes = numbered<double_node, 4>();
    futura::detail::intrusive_list<double_node> list;
    for (auto& n : nodes) list.push_back(&n);
    list.unlink(&nodes[static_cast<std::size_t>(victim)]);
    BOOST_TEST(nodes[static_cast<std::size_t>(victim)].prev == nullptr);
    BOOST_TEST(nodes[static_cast<std::size_t>(victim)].next == nullptr);
    std::vector<int> expected;
    for (int i = 0; i < 4; ++i) {
      if (i != victim) expected.push_back(i);
    }
    // The back links must agree with the forward ones: walk backwards from the last node.
    double_node* last = list.front();
    while (last != nullptr && last->next != nullptr) last = last->next;
    std::vector<int> backwards;
    for (double_node* n = last; n != nullptr; n = n->prev) backwards.insert(backwards.begin(), n->id);
    BOOST_TEST(backwards == expected);
    BOOST_TEST(drain(list) == expected);
  }
}

BOOST_AUTO_TEST_CASE(unlink_the_only_node_empties_the_list) {
  double_node n;
  futura::detail::intrusive_list<double_node> list;
  list.push_back(&n);
  list.unlink(&n);
  BOOST_TEST(list.empty());
  double_node m;
  m.id = 7;
  list.push_back(&m);  // no stale tail left behind
  BOOST_TEST(m.prev == nullptr);
  BOOST_TEST(drain(list) == (std::vector<int>{7}));
}

BOOST_AUTO_TEST_CASE(moves_and_swaps_take_the_nodes_along) {
  auto nodes = numbered<single_node, 3>();
  futura::detail::intrusive_list<single_node> a;
  a.push_back(&nodes[0]);
  a.push_back(&nodes[1]);
  futura::detail::intrusive_list<single_node> b(std::move(a));
  BOOST_TEST(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty, by contract
  futura::detail::intrusive_list<single_node> c;
  c.push_back(&nodes[2]);
  c.swap(b);
  BOOST_TEST(drain(b) == (std::vector<int>{2}));
  a = std::move(c);
  BOOST_TEST(drain(a) == (std::vector<int>{0, 1}));
  a.push_back(&nodes[0]);
  a.reset();
  BOOST_TEST(a.empty());
}

BOOST_AUTO_TEST_SUITE_END()
