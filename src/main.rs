//! The `reunify` binary: a thin shell over [`reunify::app`].

fn main() {
    std::process::exit(reunify::app::main_with_args(std::env::args_os()));
}
