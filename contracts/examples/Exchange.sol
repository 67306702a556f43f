// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

interface IWETH {
    function deposit() external payable;
    function transfer(address to, uint256 value) external returns (bool);
}

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
}

/// @title A Uniswap-v1-style constant-product exchange between WETH and one token.
/// @notice No constructor: a state test (or a deployer) writes the pair and the reserves into
/// storage directly:
///   slot 0: token        slot 1: weth
///   slot 2: wethReserve  slot 3: tokenReserve
/// The exchange must hold at least wethReserve WETH and tokenReserve tokens.
contract Exchange {
    IERC20 public token;
    IWETH public weth;
    uint256 public wethReserve;
    uint256 public tokenReserve;

    event Swap(address indexed buyer, uint256 ethIn, uint256 tokensOut);

    /// Uniswap v1's getInputPrice: output for `amountIn` after a 0.3% fee, keeping x*y constant.
    function getInputPrice(uint256 amountIn, uint256 inputReserve, uint256 outputReserve)
        public
        pure
        returns (uint256)
    {
        uint256 amountInWithFee = amountIn * 997;
        return (amountInWithFee * outputReserve) / (inputReserve * 1000 + amountInWithFee);
    }

    /// Sells msg.value ETH for tokens: wraps the ETH into WETH, which the exchange keeps, and sends
    /// the tokens to the caller. Reverts if fewer than `minTokens` would come out.
    function ethToTokenSwap(uint256 minTokens) external payable returns (uint256 tokensOut) {
        uint256 amountIn = msg.value;
        require(amountIn > 0, "Exchange: no ETH sent");

        weth.deposit{value: amountIn}();

        tokensOut = getInputPrice(amountIn, wethReserve, tokenReserve);
        require(tokensOut >= minTokens, "Exchange: below minTokens");

        wethReserve += amountIn;
        tokenReserve -= tokensOut;

        require(token.transfer(msg.sender, tokensOut), "Exchange: token transfer failed");

        emit Swap(msg.sender, amountIn, tokensOut);
    }
}
