// expect: .next() refers to the stream, which must outlive the future: call it on a named stream
#include <futura/core.hpp>
int main() { futura::stream::repeat(1).next(); }
