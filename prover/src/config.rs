//! The proof system's parameters: Goldilocks, its degree-2 extension for challenges,
//! Poseidon2 (width 8) Merkle trees, FRI. The parameters are written into every proof; the
//! verifier rebuilds the configuration from them after refusing any set below `SECURITY_BITS`.

use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::Field;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_goldilocks::{Goldilocks, Poseidon2Goldilocks, default_goldilocks_poseidon2_8};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;
use serde::{Deserialize, Serialize};

pub type Val = Goldilocks;
pub type Challenge = BinomialExtensionField<Val, 2>;
type Perm = Poseidon2Goldilocks<8>;
type Hash = PaddingFreeSponge<Perm, 8, 4, 4>;
type Compress = TruncatedPermutation<Perm, 2, 4, 8>;
type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, Hash, Compress, 2, 4>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Challenger = DuplexChallenger<Val, Perm, 8, 4>;
type Dft = Radix2DitParallel<Val>;
type Pcs = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
pub type Config = StarkConfig<Pcs, Challenge, Challenger>;

/// Conjectured security every accepted proof must reach (bits).
pub const SECURITY_BITS: u32 = 100;

/// FRI parameters, as recorded in a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofParameters {
    pub log_blowup: usize,
    pub num_queries: usize,
    pub query_proof_of_work_bits: usize,
    pub log_final_poly_len: usize,
    pub max_log_arity: usize,
}

impl Default for ProofParameters {
    /// Rate 1/2, 100 queries, 16 bits of grinding: 116 bits conjectured. FRI folds by 4 down to a
    /// final polynomial of 16 coefficients: 15% smaller proofs than binary folding at 2^16 rows
    /// (375 KB against 439 KB), the same prove and verify time (bench/RESULTS.md).
    fn default() -> Self {
        Self {
            log_blowup: 1,
            num_queries: 100,
            query_proof_of_work_bits: 16,
            log_final_poly_len: 4,
            max_log_arity: 2,
        }
    }
}

impl ProofParameters {
    /// Conjectured security (the ethSTARK conjecture): log_blowup bits per query plus grinding,
    /// capped by the 128-bit challenge field.
    pub fn conjectured_bits(&self) -> usize {
        (self.log_blowup * self.num_queries + self.query_proof_of_work_bits).min(128)
    }

    /// Within the ranges this verifier accepts (a proof's header is untrusted input).
    pub fn is_sane(&self) -> bool {
        (1..=4).contains(&self.log_blowup)
            && (1..=512).contains(&self.num_queries)
            && self.query_proof_of_work_bits <= 30
            && self.log_final_poly_len <= 8
            && (1..=4).contains(&self.max_log_arity)
    }

    pub fn config(&self) -> Config {
        let perm = default_goldilocks_poseidon2_8();
        let hash = Hash::new(perm.clone());
        let compress = Compress::new(perm.clone());
        let val_mmcs = ValMmcs::new(hash, compress, 0);
        let challenge_mmcs = ChallengeMmcs::new(val_mmcs.clone());
        let fri = FriParameters {
            log_blowup: self.log_blowup,
            log_final_poly_len: self.log_final_poly_len,
            max_log_arity: self.max_log_arity,
            num_queries: self.num_queries,
            batch_proof_of_work_bits: 0,
            commit_proof_of_work_bits: 0,
            query_proof_of_work_bits: self.query_proof_of_work_bits,
            mmcs: challenge_mmcs,
        };
        let pcs = Pcs::new(Dft::default(), val_mmcs, fri);
        StarkConfig::new(pcs, Challenger::new(perm))
    }
}
