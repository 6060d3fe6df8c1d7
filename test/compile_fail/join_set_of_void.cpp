// expect: futura::join_set<void> does not exist: use futura::join_set<futura::unit>
#include <futura/asio/join_set.hpp>
int main() { futura::join_set<void> set; }
