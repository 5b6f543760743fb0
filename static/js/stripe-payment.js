// Stripe payment page: mounts the Payment Element and confirms the payment (Stripe.js loaded before).
(function () {
  var form = document.getElementById("payment-form");
  var options = form.dataset.account ? { stripeAccount: form.dataset.account } : {};
  var stripe = Stripe(form.dataset.publishableKey, Object.assign(options, { locale: "fr" }));
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } }).then(function (result) {
      if (result.error) { document.getElementById("payment-message").textContent = result.error.message; }
    });
  });
})();
