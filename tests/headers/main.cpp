// Links the one-header-alone TUs; compiling them is the test.
int main() { return 0; }
