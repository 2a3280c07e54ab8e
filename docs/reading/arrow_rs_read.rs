// Cargo.toml: arrow-array = "60.1", arrow-ipc = { version = "60.1", features = ["lz4", "zstd"] }
// (the two features read compressed traces; without them arrow-ipc refuses one)
use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_ipc::reader::FileReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reader = FileReader::try_new(File::open("fib.arrow")?, None)?;
    println!("{}", reader.schema().metadata()["tvm.schema"]); // tvm-trace/trace/v2
    let (mut rows, mut step_sum) = (0, 0i64);
    for batch in reader {
        let batch = batch?;
        rows += batch.num_rows();
        let step = batch.column_by_name("step").ok_or("no step column")?.as_primitive::<Int32Type>();
        step_sum += step.values().iter().map(|&s| i64::from(s)).sum::<i64>();
    }
    println!("{rows} rows, steps sum to {step_sum}"); // 103 rows, steps sum to 5253
    Ok(())
}
