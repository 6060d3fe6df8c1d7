// expect: futura::mpsc: the item type must be a move-constructible object type
#include <futura/core.hpp>
int main() { auto channel = futura::mpsc::channel<int&>(1); }
