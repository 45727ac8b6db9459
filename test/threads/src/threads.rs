// threads.rs: what a Rust program does with std's threads, for the threads corpus.
// Spawned threads add to an Arc<Mutex<u64>>, send their results over an mpsc channel,
// and are joined; the output does not depend on the interleaving.
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    let total = Arc::new(Mutex::new(0u64));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for id in 0..4u64 {
        let total = Arc::clone(&total);
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            let mut mine = 0;
            for i in 0..1000u64 {
                *total.lock().unwrap() += 1;
                mine += i * (id + 1);
            }
            tx.send((id, mine)).unwrap();
            id * 100
        }));
    }
    drop(tx);
    let joined: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut results: Vec<(u64, u64)> = rx.iter().collect();
    results.sort();
    for (id, mine) in &results {
        println!("thread {} computed {}", id, mine);
    }
    println!("total {} joined {}", *total.lock().unwrap(), joined);
    let named = thread::Builder::new().name("worker-x".into()).spawn(|| thread::current().name().unwrap().to_string()).unwrap();
    println!("named thread {}", named.join().unwrap());
}
