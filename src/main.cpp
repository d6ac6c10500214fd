namespace mh::cli {
int Main(int argc, char** argv);
}

int main(int argc, char** argv) {
    return mh::cli::Main(argc, argv);
}
