//! The `reunify` binary: a thin shell over [`reunify::app`]. It alone installs the signal
//! handler and the standard-output rules ([`reunify::app::stdout`]), so that tests calling the library in-process keep their own signal handling.

fn main() {
    reunify::app::interrupt::install();
    reunify::app::stdout::install();
    std::process::exit(reunify::app::main_with_args(std::env::args_os()));
}
