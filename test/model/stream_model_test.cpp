// Randomized model test of the streams: random pipelines of sources, adapters and a consumer
// over leaf streams (and the futures of `then`, the async consumers and the sets: buffered,
// buffer_unordered, for_each_concurrent) that a driver feeds in a random order, compared with a reference evaluator after every step: the output (the items,
// fold or count, or the exception), the step at which the root completes (it is polled only
// when woken, so a lost wakeup shows up as a missing completion), what every leaf gave and every
// logged node saw, drops (also of pipelines dropped mid-way), rule 4 and waker clones. The
// adapters' own callables may throw at a planned call, and the root may be woken for nothing.
//
// The kinds, the generator, the evaluator, the leaves and the driver live in
// support/stream_model.hpp, shared with the fuzzer (test/fuzz/stream_pipeline_fuzz.cpp).
//
// A failing seed is printed with its pipeline and schedule; rerun one with
// `stream_model_test -- --seed=N`. `stream_model_test -- --write-corpus=DIR` writes the fuzzer's
// seed corpus (test/fuzz/corpus/stream_pipeline): for each node kind and kind of event, the first
// seed that has it, as the bytes that decode to it.
#include <support/seeds.hpp>
#include <support/stream_model.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace futura_test;
using namespace futura_test::stream_model;

namespace {

/// The generator's choices for `seed`; with `record`, each choice is also appended as one byte
/// (the fuzzer's decoder reads `byte % n`, so these bytes decode to the same case).
test_case make_case(unsigned seed, std::string* record = nullptr) {
  std::mt19937 rng(seed);
  return generate([&rng, record](int n) {
    const int c = static_cast<int>(rng() % static_cast<unsigned>(n));
    if (record) {
      if (n > 256) throw std::logic_error("stream_model: a choice does not fit in a fuzz input byte");
      record->push_back(static_cast<char>(c));
    }
    return c;
  });
}

/// The features a case has, for the corpus: its node kinds and kinds of event.
void features(const node& n, std::set<std::string>& out) {
  out.insert(info(n.k).name);
  if (n.throw_at >= 0) out.insert("callable-throws");
  if (n.fed() && n.term != terminator::end) out.insert(n.term == terminator::error ? "fed-throws" : "fed-never");
  for (const gate_plan& g : n.gates) {
    if (g.wait) out.insert("gate-waits");
    if (g.throws) out.insert(g.wait ? "gate-throws-later" : "gate-throws");
  }
  for (const node& c : n.children) features(c, out);
}

std::set<std::string> features(const test_case& c) {
  std::set<std::string> out;
  features(c.root, out);
  if (c.drop_step != never) out.insert("dropped");
  if (c.first_poll > 0) out.insert("late-first-poll");
  if (c.spurious) out.insert("spurious-wakes");
  return out;
}

node leaf(kind k, std::vector<value> items = {}, terminator term = terminator::end) {
  node n;
  n.k = k;
  n.items = std::move(items);
  n.term = term;
  return n;
}
node over(kind k, int param, node child) {
  node n;
  n.k = k;
  n.param = param;
  n.children.push_back(std::move(child));
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_model_suite)

BOOST_AUTO_TEST_CASE(random_pipelines_match_the_reference_evaluator) {
  run_seeds([](unsigned seed) { return check(make_case(seed)); }, 10000, "FUTURA_STREAM_MODEL_SEEDS");
}

BOOST_AUTO_TEST_CASE(the_reference_evaluator_agrees_with_hand_checked_pipelines) {
  // fed[3,1,4,6,end].map(+2).filter(even).take(2).collect(): 6 and 8, complete once 6 arrived;
  // the end of fed is never pulled.
  test_case c;
  c.root = over(kind::collect, 0,
                over(kind::take, 2, over(kind::filter, 0, over(kind::map, 1, leaf(kind::fed, {3, 1, 4, 6})))));
  number(c.root, c.node_count);
  const int fed = 4;
  delivery d(c);
  for (int i = 0; i < 3; ++i) d.apply(event{fed, -1});
  BOOST_TEST(!evaluator(c, d).run().complete);
  d.apply(event{fed, -1});
  evaluator e(c, d);
  const result r = e.run();
  BOOST_TEST(r.complete);
  BOOST_TEST(r.error.empty());
  BOOST_TEST((r.output == values{6, 8}));  // 3+2 is odd
  BOOST_TEST(e.seen().consumed[fed] == 4U);
  BOOST_TEST(describe(c.root) == "fed#4[3,1,4,6,end].map(+2).filter(even).take(2).collect()");

  // fed[1,throws].zip(iter[5,6]).count(): the exception, once fed's second event is delivered.
  test_case z;
  node zip = over(kind::zip, 0, leaf(kind::fed, {1}, terminator::error));
  zip.children.push_back(leaf(kind::iter, {5, 6}));
  z.root = over(kind::count, 0, std::move(zip));
  number(z.root, z.node_count);
  delivery dz(z);
  dz.apply(event{2, -1});
  BOOST_TEST(!evaluator(z, dz).run().complete);
  dz.apply(event{2, -1});
  const result rz = evaluator(z, dz).run();
  BOOST_TEST(rz.complete);
  BOOST_TEST(rz.error == "fed#2 fails");

  // fed#2[1,2,3,end].buffer_unordered#1(2){www}.collect(): at most two futures at once, the
  // outputs in the order their gates open; item 3's future starts when one of the first two ended.
  test_case b;
  b.root = over(kind::collect, 0, over(kind::buffer_unordered, 1, leaf(kind::fed, {1, 2, 3})));
  b.root.children[0].gates.assign(3, gate_plan{true, false});
  number(b.root, b.node_count);
  BOOST_TEST(describe(b.root) == "fed#2[1,2,3,end].buffer_unordered#1(2){www}.collect()");
  const int set = 1;
  const int source = 2;
  b.events = {{source, -1}, {source, -1}, {source, -1}, {source, -1}, {set, 1}, {set, 2}, {set, 0}};
  delivery db(b);
  for (int i = 0; i < 4; ++i) db.apply(b.events[static_cast<std::size_t>(i)]);
  evaluator full(b, db);
  BOOST_TEST(!full.run().complete);
  BOOST_TEST((full.seen().logs[set] == values{1, 2}));  // item 3 waits for room
  db.apply(b.events[4]);                                // gate 1: item 2 out, item 3 in
  evaluator room(b, db);
  BOOST_TEST(!room.run().complete);
  BOOST_TEST((room.seen().logs[set] == values{1, 2, 3}));
  db.apply(b.events[5]);
  db.apply(b.events[6]);
  const result rb = evaluator(b, db).run();
  BOOST_TEST(rb.complete);
  BOOST_TEST((rb.output == values{2, 3, 1}));
  BOOST_TEST(check(b).empty());  // and buffer_unordered itself, step by step
}

BOOST_AUTO_TEST_CASE(writes_the_fuzz_seed_corpus_when_asked) {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  std::string dir;
  for (int i = 1; i < suite.argc; ++i) {
    if (std::strncmp(suite.argv[i], "--write-corpus=", 15) == 0) dir = suite.argv[i] + 15;
  }
  if (dir.empty()) return;  // only on request
  std::set<std::string> covered;
  for (unsigned seed = 1; seed < 2000; ++seed) {
    std::string bytes;
    const test_case c = make_case(seed, &bytes);
    for (const std::string& f : features(c)) {
      if (!covered.insert(f).second) continue;
      std::ofstream(dir + "/" + f, std::ios::binary) << bytes;
      break;  // one file per seed, named after the first feature it brings
    }
  }
  BOOST_TEST_MESSAGE("wrote " << covered.size() << " features to " << dir);
}

BOOST_AUTO_TEST_SUITE_END()
