// UcClient CRM settings for Dynamics 365 (web resource ucc_/ucclient/config.js): the presence backend's
// origin. `cargo xtask package --backend-url <origin>` writes it; an administrator may also edit this web
// resource in the solution and publish it.
export default { backendUrl: 'https://ucclient.example.com' };
