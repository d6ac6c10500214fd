namespace mh::cli { int Main(int, char**) { return 0; } }
