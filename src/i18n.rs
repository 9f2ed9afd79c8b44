//! Every sentence the widget shows, in English, European Portuguese and Brazilian Portuguese, and the
//! choice of language. Profile names are not here: they come from `core` (`ProfileId::name`).

use ucclient_core::Language;
use ucclient_core::api::{
    AccessEndReason, Call, CallDirection, CallOutcome, CallState, Device, DeviceKind, ErrorCode,
};
use ucclient_core::phone::{PhoneError, format_for_reading};

use crate::state::{ClientState, format_duration, talk_seconds};

/// A table of sentences: the enum `$name` of their meanings and the table `$table` of their texts in
/// English, pt-PT and pt-BR (the widget's own, and the softphone's, `crate::softphone::S`).
macro_rules! texts {
    ($name:ident, $table:ident; $($key:ident => $en:expr, $pt:expr, $br:expr;)*) => {
        /// A sentence of the widget, by meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum $name { $($key,)* }

        impl $name {
            /// Every sentence, for the completeness test.
            #[cfg(test)]
            pub const ALL: &'static [$name] = &[$($name::$key,)*];
        }

        /// Every sentence in English, pt-PT and pt-BR, one row per key in declaration order: a table
        /// (data) is smaller in the wasm module than a `match` per key (code).
        const $table: &[[&str; 3]] = &[$([$en, $pt, $br],)*];
    };
}
#[cfg(feature = "softphone")]
pub(crate) use texts;

/// The column of a language in a `texts!` table.
pub fn column(lang: Language) -> usize {
    match lang {
        Language::En => 0,
        Language::PtPt => 1,
        Language::PtBr => 2,
    }
}

/// The sentence in a language.
pub fn tr(lang: Language, key: T) -> &'static str {
    TEXTS[key as usize][column(lang)]
}

texts! {
    T, TEXTS;
    AppName => "UcClient CRM", "UcClient CRM", "UcClient CRM";
    SignIn => "Sign in", "Iniciar sessão", "Entrar";
    SigningIn => "Signing in…", "A iniciar sessão…", "Entrando…";
    SignOut => "Sign out", "Terminar sessão", "Sair";
    Email => "Email", "Email", "E-mail";
    Password => "Password", "Palavra-passe", "Senha";
    SessionExpired => "Your session ended. Please sign in again.", "A sua sessão terminou. Inicie sessão novamente.", "Sua sessão terminou. Entre novamente.";
    EndSignedOut => "You signed out in another tab or window.", "Terminou a sessão noutro separador ou janela.", "Você saiu em outra aba ou janela.";
    EndPasswordChanged => "Your password was changed.", "A sua palavra-passe foi alterada.", "Sua senha foi alterada.";
    EndNotLicensed => "Your access to the CRM client was removed.", "O seu acesso ao cliente CRM foi retirado.", "Seu acesso ao cliente CRM foi removido.";
    EndUserDeleted => "Your account was removed.", "A sua conta foi removida.", "Sua conta foi removida.";
    Loading => "Loading…", "A carregar…", "Carregando…";
    PartNotLoaded => "This part of UcClient CRM could not be loaded. Check the connection and try again, or reload the page if UcClient CRM was just updated.", "Não foi possível carregar esta parte do UcClient CRM. Verifique a ligação e tente de novo, ou recarregue a página se o UcClient CRM acabou de ser atualizado.", "Não foi possível carregar esta parte do UcClient CRM. Verifique a conexão e tente novamente, ou recarregue a página se o UcClient CRM acabou de ser atualizado.";
    TryAgain => "Try again", "Tentar de novo", "Tentar novamente";
    YourPresence => "Your presence", "A sua presença", "Sua presença";
    OnACall => "On a call", "Em chamada", "Em ligação";
    PbxPending => "Applying your settings to the phone system…", "A aplicar as definições na central telefónica…", "Aplicando as configurações na central telefônica…";
    PbxFailed => "The phone system did not accept your settings.", "A central telefónica não aceitou as definições.", "A central telefônica não aceitou as configurações.";
    ChangePresence => "Change presence", "Mudar presença", "Mudar presença";
    GroupAvailable => "Available", "Disponível", "Disponível";
    GroupUnavailable => "Unavailable", "Indisponível", "Indisponível";
    Current => "current", "atual", "atual";
    DndOn => "Do not disturb", "Não incomodar", "Não perturbe";
    TabDial => "Dial", "Marcar", "Discar";
    TabPresence => "Presence", "Presença", "Presença";
    TabDirectory => "Colleagues", "Colegas", "Colegas";
    TabHistory => "History", "Histórico", "Histórico";
    TabRouting => "Routing", "Encaminhamento", "Roteamento";
    Number => "Number to call", "Número a marcar", "Número para discar";
    Call => "Call", "Ligar", "Ligar";
    HangUp => "Hang up", "Desligar", "Desligar";
    Hold => "Hold", "Pôr em espera", "Colocar em espera";
    Resume => "Resume", "Retomar", "Retomar";
    Transfer => "Transfer", "Transferir", "Transferir";
    TransferTo => "Transfer to", "Transferir para", "Transferir para";
    OnHold => "On hold", "Em espera", "Em espera";
    LeavingMessage => "Leaving a message: speak after the beep", "A deixar mensagem: fale após o sinal", "Deixando recado: fale após o sinal";
    Transferred => "Transferred", "Transferida", "Transferida";
    ErrCallMoved => "The call is no longer in that state.", "A chamada já não está nesse estado.", "A ligação não está mais nesse estado.";
    ErrTransferToSelf => "A call cannot be transferred to you or to the person on it.", "Não pode transferir a chamada para si nem para quem está nela.", "Não é possível transferir a ligação para você nem para quem está nela.";
    Answer => "Answer", "Atender", "Atender";
    Decline => "Decline", "Rejeitar", "Recusar";
    WillDial => "Will dial", "Vai marcar", "Vai discar";
    CallDialing => "Calling your phone…", "A chamar o seu telefone…", "Chamando seu telefone…";
    CallRinging => "Ringing…", "A tocar…", "Tocando…";
    CallConnected => "Connected", "Em conversação", "Em conversa";
    CallEnded => "Call ended", "Chamada terminada", "Ligação encerrada";
    CallFailed => "Call failed", "A chamada falhou", "A ligação falhou";
    ForwardedTo => "Forwarded to", "Reencaminhada para", "Encaminhada para";
    IncomingCall => "Incoming call", "Chamada recebida", "Ligação recebida";
    OutgoingCall => "Outgoing call", "Chamada efetuada", "Ligação efetuada";
    Search => "Search colleagues", "Procurar colegas", "Buscar colegas";
    NoColleagues => "No colleagues found.", "Nenhum colega encontrado.", "Nenhum colega encontrado.";
    CallColleague => "Call", "Ligar a", "Ligar para";
    You => "you", "você", "você";
    NoCalls => "No calls yet.", "Ainda não há chamadas.", "Ainda não há ligações.";
    Redial => "Call again", "Voltar a ligar", "Ligar de novo";
    Ext => "ext", "ext.", "ramal";
    OneCallAtATime => "One call at a time: hang up the current call first.", "Uma chamada de cada vez: desligue primeiro a chamada atual.", "Uma ligação por vez: desligue primeiro a ligação atual.";
    Missed => "Missed", "Perdida", "Perdida";
    Declined => "Declined", "Rejeitada", "Recusada";
    ToVoicemail => "To voicemail", "Para o correio de voz", "Para a caixa postal";
    AnsweredElsewhere => "Answered by a colleague", "Atendida por um colega", "Atendida por um colega";
    Yesterday => "Yesterday", "Ontem", "Ontem";
    NotAnswered => "not answered", "não atendida", "não atendida";
    RoutingIntro => "Choose what the phone system does while each profile is on.", "Escolha o que a central faz enquanto cada perfil está ativo.", "Escolha o que a central faz enquanto cada perfil está ativo.";
    PassiveMode => "Your company uses passive mode: profiles only show your presence, they do not change your phone settings.", "A sua empresa usa o modo passivo: os perfis só mostram a sua presença, não alteram o telefone.", "Sua empresa usa o modo passivo: os perfis só mostram sua presença, não alteram o telefone.";
    Profile => "Profile", "Perfil", "Perfil";
    Customised => "customised", "personalizado", "personalizado";
    Forwarding => "Forward direct calls", "Reencaminhar chamadas diretas", "Encaminhar ligações diretas";
    ForwardTo => "Forward to", "Reencaminhar para", "Encaminhar para";
    RingAll => "Ring all my devices at once", "Tocar todos os meus dispositivos", "Tocar todos os meus dispositivos";
    RingSelected => "Ring chosen devices in steps", "Tocar dispositivos escolhidos por passos", "Tocar dispositivos escolhidos em etapas";
    Step => "Step", "Passo", "Etapa";
    StartsAfter => "starts after (seconds)", "começa após (segundos)", "começa após (segundos)";
    AddStep => "Add step", "Adicionar passo", "Adicionar etapa";
    RemoveStep => "Remove step", "Remover passo", "Remover etapa";
    Save => "Save", "Guardar", "Salvar";
    Saved => "Saved.", "Guardado.", "Salvo.";
    ResetDefaults => "Reset to defaults", "Repor predefinições", "Restaurar padrões";
    EffectAll => "Calls ring all your devices", "As chamadas tocam em todos os seus dispositivos", "As ligações tocam em todos os seus dispositivos";
    EffectRing => "Calls ring", "As chamadas tocam em", "As ligações tocam em";
    EffectThen => ", then", ", depois em", ", depois em";
    EffectAnd => " and ", " e ", " e ";
    EffectAfter => "after", "após", "após";
    EffectForward => "Calls forward to", "As chamadas são reencaminhadas para", "As ligações são encaminhadas para";
    EffectVoicemail => "Calls go to voicemail", "As chamadas vão para o correio de voz", "As ligações vão para a caixa postal";
    EffectMissed => "No device rings: calls are missed", "Nenhum dispositivo toca: as chamadas ficam perdidas", "Nenhum dispositivo toca: as ligações ficam perdidas";
    EffectGroupAll => "Group calls ring all your devices", "As chamadas de grupo tocam em todos os seus dispositivos", "As ligações de grupo tocam em todos os seus dispositivos";
    EffectAllBoth => "All your devices ring, for direct and group calls", "Tocam todos os seus dispositivos, nas chamadas diretas e de grupo", "Tocam todos os seus dispositivos, nas ligações diretas e de grupo";
    EffectGroupRing => "Group calls ring", "As chamadas de grupo tocam em", "As ligações de grupo tocam em";
    EffectGroupSkip => "Group calls skip you", "As chamadas de grupo não tocam para si", "As ligações de grupo pulam você";
    RoutingDirect => "What rings when someone calls you", "O que toca quando lhe ligam", "O que toca quando ligam para você";
    DndForwardNote => "Do not disturb comes first: while it is on, calls are not forwarded either and no device rings.", "O Não incomodar prevalece: enquanto está ativo, as chamadas também não são reencaminhadas e nenhum dispositivo toca.", "O Não perturbe prevalece: enquanto está ativo, as ligações também não são encaminhadas e nenhum dispositivo toca.";
    PreviewTitle => "With these settings", "Com estas definições", "Com estas configurações";
    ErrDelayRange => "Type a number of seconds from 0 to {max}.", "Escreva um número de segundos de 0 a {max}.", "Digite um número de segundos de 0 a {max}.";
    ErrDelayOrder => "Each step must start later than the one before.", "Cada passo tem de começar depois do anterior.", "Cada etapa precisa começar depois da anterior.";
    ErrStepDevices => "Choose at least one device for this step.", "Escolha pelo menos um dispositivo para este passo.", "Escolha pelo menos um dispositivo para esta etapa.";
    ErrDeviceTwice => "A device can ring in one step only.", "Um dispositivo só pode tocar num passo.", "Um dispositivo só pode tocar em uma etapa.";
    ErrForwardMissing => "Type the number to forward to.", "Escreva o número para onde reencaminhar.", "Digite o número para onde encaminhar.";
    Unsaved => "You have unsaved changes to this profile.", "Tem alterações por guardar neste perfil.", "Você tem alterações não salvas neste perfil.";
    Discard => "Discard changes", "Descartar alterações", "Descartar alterações";
    KeepEditing => "Keep editing", "Continuar a editar", "Continuar editando";
    ResetConfirm => "Reset this profile to its defaults? Your changes to it are lost.", "Repor as predefinições deste perfil? As alterações perdem-se.", "Restaurar os padrões deste perfil? As alterações serão perdidas.";
    Cancel => "Cancel", "Cancelar", "Cancelar";
    ExtensionListNote => "Group calls normally ring all your devices. Customising which devices ring creates your extension list, so group calls ring only the devices of your current profile (forwarding does not apply to group calls).", "As chamadas de grupo tocam normalmente em todos os seus dispositivos. Personalizar os dispositivos cria a sua lista de extensões, e as chamadas de grupo passam a tocar só nos dispositivos do perfil atual (o reencaminhamento não se aplica a chamadas de grupo).", "Ligações de grupo normalmente tocam em todos os seus dispositivos. Personalizar os dispositivos cria sua lista de ramais, e as ligações de grupo passam a tocar só nos dispositivos do perfil atual (o encaminhamento não vale para ligações de grupo).";
    NotEnabledTitle => "UcClient CRM is not enabled for your account", "O UcClient CRM não está ativo na sua conta", "O UcClient CRM não está habilitado na sua conta";
    NotEnabledBody => "Ask your administrator to give you the UcClient CRM permission. Until then your status stays Available and turns Busy during calls.", "Peça ao seu administrador a permissão UcClient CRM. Até lá o seu estado fica Disponível e passa a Ocupado durante as chamadas.", "Peça ao seu administrador a permissão UcClient CRM. Até lá seu status fica Disponível e passa a Ocupado durante as ligações.";
    Live => "Live", "Ligado", "Conectado";
    Connecting => "Connecting…", "A ligar…", "Conectando…";
    Reconnecting => "Reconnecting…", "A restabelecer a ligação…", "Reconectando…";
    Offline => "Offline, retrying", "Sem ligação, a tentar de novo", "Sem conexão, tentando de novo";
    HostUnavailable => "The CRM integration is not available", "A integração com o CRM não está disponível", "A integração com o CRM não está disponível";
    Dismiss => "Dismiss", "Fechar", "Fechar";
    Details => "Details", "Detalhes", "Detalhes";
    DeviceDesk => "Desk phone", "Telefone de secretária", "Telefone de mesa";
    DeviceSoftphone => "Softphone", "Softphone", "Softphone";
    DeviceMobile => "Mobile", "Telemóvel", "Celular";
    ErrBadRequest => "The request was not accepted.", "O pedido não foi aceite.", "A solicitação não foi aceita.";
    ErrUnauthenticated => "Your session ended. Please sign in again.", "A sua sessão terminou. Inicie sessão novamente.", "Sua sessão terminou. Entre novamente.";
    ErrInvalidCredentials => "Wrong email or password.", "Email ou palavra-passe errados.", "E-mail ou senha incorretos.";
    ErrNotLicensed => "UcClient CRM is not enabled for your account.", "O UcClient CRM não está ativo na sua conta.", "O UcClient CRM não está habilitado na sua conta.";
    ErrForbidden => "You are not allowed to do that.", "Não tem permissão para isso.", "Você não tem permissão para isso.";
    ErrNotFound => "Not found.", "Não encontrado.", "Não encontrado.";
    ErrUnknownProfile => "That profile does not exist.", "Esse perfil não existe.", "Esse perfil não existe.";
    ErrInvalidNumber => "That number cannot be dialled.", "Esse número não pode ser marcado.", "Esse número não pode ser discado.";
    ErrUnknownExtension => "No colleague has that extension.", "Nenhum colega tem essa extensão.", "Nenhum colega tem esse ramal.";
    ErrUnknownDevice => "That device is not one of yours.", "Esse dispositivo não é seu.", "Esse dispositivo não é seu.";
    ErrCallNotRinging => "The call is no longer ringing.", "A chamada já não está a tocar.", "A chamada não está mais tocando.";
    ErrInvalidSettings => "Those settings cannot be applied.", "Essas definições não podem ser aplicadas.", "Essas configurações não podem ser aplicadas.";
    ErrActiveModeRequired => "Routing can be changed only in active mode.", "O encaminhamento só pode ser alterado no modo ativo.", "O roteamento só pode ser alterado no modo ativo.";
    ErrRateLimited => "Too many requests; try again in a moment.", "Demasiados pedidos; tente daqui a pouco.", "Muitas solicitações; tente daqui a pouco.";
    ErrOrgNotAllowed => "This CRM belongs to another company on UcClient: sign in from your own company's CRM.", "Este CRM pertence a outra empresa no UcClient: inicie sessão no CRM da sua empresa.", "Este CRM pertence a outra empresa no UcClient: entre pelo CRM da sua empresa.";
    ErrUnavailable => "The service is busy; try again in a moment.", "O serviço está ocupado; tente daqui a pouco.", "O serviço está ocupado; tente daqui a pouco.";
    ErrInternal => "Something went wrong on the server.", "Algo correu mal no servidor.", "Algo deu errado no servidor.";
    ErrNetwork => "The server cannot be reached.", "Não é possível contactar o servidor.", "Não foi possível acessar o servidor.";
    ErrOther => "The request did not succeed.", "O pedido não foi concluído.", "A solicitação não foi concluída.";
    ErrTimeout => "The server is not answering. Try again in a moment.", "O servidor não está a responder. Tente daqui a pouco.", "O servidor não está respondendo. Tente daqui a pouco.";
    PhoneEmpty => "Type a number.", "Escreva um número.", "Digite um número.";
    PhoneTooLong => "The number is too long.", "O número é demasiado longo.", "O número é longo demais.";
    PhoneChars => "Use only digits, spaces and + - . / ( ).", "Use só algarismos, espaços e + - . / ( ).", "Use só dígitos, espaços e + - . / ( ).";
    PhonePlus => "A + may only start the number.", "O + só pode estar no início.", "O + só pode estar no início.";
    PhoneCountry => "Type the number with + and its country code.", "Escreva o número com + e o indicativo do país.", "Digite o número com + e o código do país.";
    PhoneLength => "The number has the wrong number of digits.", "O número tem algarismos a mais ou a menos.", "O número tem dígitos a mais ou a menos.";
    PhoneCountryCode => "The country code is not valid.", "O indicativo do país não é válido.", "O código do país não é válido.";
    DirOutbound => "Outgoing", "Efetuada", "Efetuada";
    DirInbound => "Incoming", "Recebida", "Recebida";
    // --- voicemail (issue 13): the tab, the message-waiting count, playback ---
    TabVoicemail => "Voicemail", "Correio de voz", "Caixa postal";
    VmNewOne => "1 new voicemail message", "1 mensagem de voz nova", "1 nova mensagem de voz";
    VmNewMany => "{n} new voicemail messages", "{n} mensagens de voz novas", "{n} novas mensagens de voz";
    VmEmpty => "No voicemail messages.", "Não há mensagens de voz.", "Não há mensagens de voz.";
    VmNew => "New", "Nova", "Nova";
    VmHeard => "Heard", "Ouvida", "Ouvida";
    VmPlay => "Play message from", "Ouvir mensagem de", "Ouvir mensagem de";
    VmDelete => "Delete message from", "Apagar mensagem de", "Excluir mensagem de";
    VmGone => "That message is no longer in your mailbox.", "Essa mensagem já não está na sua caixa de correio de voz.", "Essa mensagem não está mais na sua caixa postal.";
    VmDeleted => "Message deleted.", "Mensagem apagada.", "Mensagem excluída.";
    VmOff => "Your voicemail is off: calls you do not answer are missed.", "O seu correio de voz está desligado: as chamadas que não atender ficam perdidas.", "Sua caixa postal está desligada: as ligações que você não atender ficam perdidas.";
    // ---- After-call work (issue 13: wrap-up notes and dispositions) ----
    WrapUpTitle => "Wrap-up", "Notas da chamada", "Anotações da ligação";
    WrapUpNotes => "Notes", "Notas", "Anotações";
    WrapUpOutcome => "Outcome", "Resultado", "Resultado";
    WrapUpNoOutcome => "No outcome", "Sem resultado", "Sem resultado";
    WrapUpSavesIn => "Closes and saves in", "Fecha e guarda dentro de", "Fecha e salva em";
    WrapUpSaved => "Wrap-up saved.", "Notas da chamada guardadas.", "Anotações da ligação salvas.";
    DispConnected => "Connected", "Atendida", "Atendida";
    DispLeftVoicemail => "Left voicemail", "Mensagem de voz deixada", "Recado deixado na caixa postal";
    DispNoAnswer => "No answer", "Não atendeu", "Não atendeu";
    DispWrongNumber => "Wrong number", "Número errado", "Número errado";
    DispFollowUp => "Follow-up", "Seguimento", "Retornar contato";
    ErrCallNotEnded => "The call is not over yet.", "A chamada ainda não terminou.", "A ligação ainda não terminou.";
    ErrSoftphoneNotRegistered => "This panel is no longer your phone: another tab or CRM took over.", "Este painel já não é o seu telefone: outro separador ou CRM assumiu.", "Este painel não é mais o seu telefone: outra aba ou CRM assumiu.";
    ErrInvalidSdp => "The call's audio could not be set up.", "Não foi possível estabelecer o áudio da chamada.", "Não foi possível estabelecer o áudio da ligação.";
    ErrCallEnded => "The call is over.", "A chamada terminou.", "A ligação terminou.";
    ErrInvalidWrapUp => "The wrap-up could not be saved.", "Não foi possível guardar as notas da chamada.", "Não foi possível salvar as anotações da ligação.";
    ErrUnknownDisposition => "That outcome is no longer on your company's list: pick another.", "Esse resultado já não está na lista da sua empresa: escolha outro.", "Esse resultado não está mais na lista da sua empresa: escolha outro.";
    ErrNotesTooLong => "The notes are too long (at most 2000 characters).", "As notas são demasiado longas (no máximo 2000 caracteres).", "As anotações são longas demais (no máximo 2000 caracteres).";
    ErrInvalidNotes => "The notes contain characters that cannot be saved.", "As notas contêm caracteres que não podem ser guardados.", "As anotações contêm caracteres que não podem ser salvos.";
    // --- Issue 13, transfer: warm transfer, the transfer target, missed calls ---
    Consult => "Consult", "Consultar", "Consultar";
    ConsultWith => "Consult first with", "Consultar primeiro", "Consultar primeiro";
    Consulting => "Consulting", "Em consulta com", "Em consulta com";
    Consultation => "Consultation", "Consulta", "Consulta";
    CompleteTransfer => "Complete transfer", "Concluir transferência", "Concluir transferência";
    CancelConsult => "Cancel consultation", "Cancelar consulta", "Cancelar consulta";
    TransferredTo => "Transferred to", "Transferida para", "Transferida para";
    CallBack => "Call back", "Ligar de volta", "Retornar ligação";
    MissedUnseen => "missed calls not seen", "chamadas perdidas por ver", "ligações perdidas não vistas";
    ErrAlreadyConsulting => "This call already has a consultation: complete or cancel it first.", "Esta chamada já tem uma consulta: conclua-a ou cancele-a primeiro.", "Esta ligação já tem uma consulta: conclua ou cancele primeiro.";
    ErrNotConsulting => "There is no answered consultation on this call.", "Não há nenhuma consulta atendida nesta chamada.", "Não há nenhuma consulta atendida nesta ligação.";
    // --- sso: single sign-on (issue 15) ---
    SignInWith => "Sign in with", "Iniciar sessão com", "Entrar com";
    SsoPopupBlocked => "Allow pop-up windows for this page to sign in with your company.", "Permita janelas pop-up nesta página para iniciar sessão com a sua empresa.", "Permita janelas pop-up nesta página para entrar com a sua empresa.";
    ErrPasswordLoginOff => "Your company signs in with its own account: use the button above.", "A sua empresa inicia sessão com a conta dela: use o botão acima.", "Sua empresa entra com a conta dela: use o botão acima.";
    ErrSsoUnknownUser => "Your company account has no UcClient user: ask your administrator.", "A conta da sua empresa não tem utilizador no UcClient: fale com o administrador.", "A conta da sua empresa não tem usuário no UcClient: fale com o administrador.";
    ErrSsoDomain => "That account's email domain is not allowed here.", "O domínio de email dessa conta não é permitido aqui.", "O domínio de e-mail dessa conta não é permitido aqui.";
    ErrSso => "Signing in with your company did not work. Try again.", "O início de sessão com a sua empresa falhou. Tente novamente.", "A entrada com sua empresa falhou. Tente novamente.";
}

/// The message-waiting count as a sentence ("2 new voicemail messages"), for the badge's count
/// and the Voicemail tab.
pub fn unheard_text(lang: Language, n: u32) -> String {
    if n == 1 {
        tr(lang, T::VmNewOne).to_owned()
    } else {
        tr(lang, T::VmNewMany).replace("{n}", &n.to_string())
    }
}

/// The sentence for an API error code.
pub fn error_text(code: Option<ErrorCode>) -> T {
    match code {
        None => T::ErrNetwork,
        Some(c) => match c {
            ErrorCode::BadRequest => T::ErrBadRequest,
            ErrorCode::Unauthenticated => T::ErrUnauthenticated,
            ErrorCode::InvalidCredentials => T::ErrInvalidCredentials,
            ErrorCode::ClientNotLicensed => T::ErrNotLicensed,
            ErrorCode::Forbidden => T::ErrForbidden,
            ErrorCode::NotFound => T::ErrNotFound,
            ErrorCode::UnknownProfile => T::ErrUnknownProfile,
            ErrorCode::InvalidNumber => T::ErrInvalidNumber,
            ErrorCode::UnknownExtension => T::ErrUnknownExtension,
            ErrorCode::UnknownDevice => T::ErrUnknownDevice,
            ErrorCode::CallNotRinging => T::ErrCallNotRinging,
            ErrorCode::CallNotConnected | ErrorCode::CallNotHeld => T::ErrCallMoved,
            ErrorCode::TransferToSelf => T::ErrTransferToSelf,
            ErrorCode::AlreadyConsulting => T::ErrAlreadyConsulting,
            ErrorCode::NotConsulting => T::ErrNotConsulting,
            ErrorCode::InvalidSettings => T::ErrInvalidSettings,
            ErrorCode::ActiveModeRequired => T::ErrActiveModeRequired,
            ErrorCode::RateLimited => T::ErrRateLimited,
            ErrorCode::Unavailable => T::ErrUnavailable,
            ErrorCode::OrgNotAllowed => T::ErrOrgNotAllowed,
            // Answers of the administrators' API (orgs, users, devices, groups, customers) and of the embedded PBX's simulated calls,
            // which the widget does not call.
            ErrorCode::InvalidOrg
            | ErrorCode::OrgTaken
            | ErrorCode::TooManyOrgs
            | ErrorCode::InvalidAudio
            | ErrorCode::EmailTaken
            | ErrorCode::ExtensionTaken
            | ErrorCode::InvalidUser
            | ErrorCode::OwnAccount
            | ErrorCode::PasswordsOff
            | ErrorCode::InvalidDevice
            | ErrorCode::InvalidGroup
            | ErrorCode::InvalidCustomer => T::ErrBadRequest,
            ErrorCode::CallNotEnded => T::ErrCallNotEnded,
            ErrorCode::InvalidWrapUp | ErrorCode::InvalidCrmRecord => T::ErrInvalidWrapUp,
            ErrorCode::UnknownDisposition => T::ErrUnknownDisposition,
            ErrorCode::NotesTooLong => T::ErrNotesTooLong,
            ErrorCode::InvalidNotes => T::ErrInvalidNotes,
            ErrorCode::Internal => T::ErrInternal,
            ErrorCode::Other => T::ErrOther,
            // sso (issue 15)
            ErrorCode::PasswordLoginOff => T::ErrPasswordLoginOff,
            ErrorCode::SsoUnknownUser => T::ErrSsoUnknownUser,
            ErrorCode::SsoDomain => T::ErrSsoDomain,
            ErrorCode::SsoState
            | ErrorCode::SsoProvider
            | ErrorCode::SsoToken
            | ErrorCode::SsoDenied
            | ErrorCode::SsoOrigin
            | ErrorCode::SsoNotConfigured => T::ErrSso,
            ErrorCode::InvalidSso => T::ErrBadRequest,
            // An answer of the administrators' CRM presence map, which the widget does not call.
            ErrorCode::InvalidCrmPresence => T::ErrBadRequest,
            // Answers to an `Idempotency-Key` header, which the widget does not send.
            ErrorCode::InvalidIdempotencyKey
            | ErrorCode::IdempotencyKeyReused
            | ErrorCode::IdempotencyKeyInFlight => T::ErrBadRequest,
            // the softphone (issue 17)
            ErrorCode::SoftphoneNotRegistered => T::ErrSoftphoneNotRegistered,
            ErrorCode::InvalidSdp => T::ErrInvalidSdp,
            ErrorCode::CallEnded => T::ErrCallEnded,
        },
    }
}

/// A device's name in the agent's language: the name of its kind while the label is the English
/// one the server gives by default ("Desk phone"), else the label the company gave it.
pub fn device_name(lang: Language, d: &Device) -> &str {
    let key = match d.kind {
        DeviceKind::Desk => T::DeviceDesk,
        DeviceKind::Softphone => T::DeviceSoftphone,
        DeviceKind::Mobile => T::DeviceMobile,
        DeviceKind::Other => return &d.label,
    };
    if d.label.eq_ignore_ascii_case(tr(Language::En, key)) {
        tr(lang, key)
    } else {
        &d.label
    }
}

/// Whether an error's own words (the API's or the browser's) add something to its sentence: not
/// when they only repeat it ("wrong email or password" under "Wrong email or password.").
pub fn detail_adds(text: T, detail: &str) -> bool {
    let en = tr(Language::En, text);
    !detail.trim().is_empty() && !detail.eq_ignore_ascii_case(en.strip_suffix('.').unwrap_or(en))
}

/// Why the sign-in form is back when the backend ended the session's access.
pub fn access_end_text(reason: AccessEndReason) -> T {
    match reason {
        AccessEndReason::SignedOut => T::EndSignedOut,
        AccessEndReason::Expired => T::SessionExpired,
        AccessEndReason::PasswordChanged => T::EndPasswordChanged,
        AccessEndReason::NotLicensed => T::EndNotLicensed,
        AccessEndReason::UserDeleted => T::EndUserDeleted,
    }
}

/// The sentence for a phone-number problem (core's `Display` is English only).
pub fn phone_error_text(e: &PhoneError) -> T {
    match e {
        PhoneError::Empty => T::PhoneEmpty,
        PhoneError::TooLong => T::PhoneTooLong,
        PhoneError::InvalidCharacters => T::PhoneChars,
        PhoneError::MisplacedPlus => T::PhonePlus,
        PhoneError::UnsupportedCountry(_) => T::PhoneCountry,
        PhoneError::WrongLength => T::PhoneLength,
        PhoneError::InvalidCountryCode => T::PhoneCountryCode,
    }
}

/// The sentence for a call state, as the call card shows and the live region announces it.
pub fn call_state_text(state: CallState) -> T {
    match state {
        CallState::Dialing => T::CallDialing,
        CallState::Ringing => T::CallRinging,
        CallState::Connected => T::CallConnected,
        CallState::Ended => T::CallEnded,
        CallState::Failed => T::CallFailed,
    }
}

/// What a call came to, as the history and the live region say it: its outcome ("Missed" — a call
/// Do Not Disturb refused is one —, "Declined", "Forwarded to +351 912 000 999" for an inbound
/// call the phone system sent on to the user's forwarding number), else its state.
pub fn call_outcome(lang: Language, call: &Call) -> String {
    let key = match call.outcome {
        Some(CallOutcome::Missed) => T::Missed,
        Some(CallOutcome::Declined) => T::Declined,
        Some(CallOutcome::AnsweredElsewhere) => T::AnsweredElsewhere,
        Some(CallOutcome::Forwarded) => T::ForwardedTo,
        Some(CallOutcome::Voicemail) => T::ToVoicemail,
        Some(CallOutcome::Transferred) => T::Transferred,
        // A newer backend's outcome: said as its state ("Call ended").
        Some(CallOutcome::Other) | None => call_state_text(call.state),
    };
    let mut out = tr(lang, key).to_owned();
    if let Some(to) = &call.forwarded_to {
        out.push(' ');
        out.push_str(&format_for_reading(to));
    }
    out
}

/// A finished call in a few words, as its card's summary and its history row say it: the outcome
/// when it has one ("Missed"), else "Call ended · 0:23" (or "· not answered").
pub fn call_summary(lang: Language, call: &Call) -> String {
    let mut out = call_outcome(lang, call);
    if call.outcome.is_none() {
        out.push_str(" · ");
        match talk_seconds(call) {
            Some(s) => out.push_str(&format_duration(s)),
            None => out.push_str(tr(lang, T::NotAnswered)),
        }
    }
    out
}

/// [`call_summary`] with the transfer target named as the directory names it: "Transferred to
/// Bruno Costa", "Transferida para +351 912 000 002".
pub fn call_summary_named(lang: Language, state: &ClientState, call: &Call) -> String {
    match &call.transferred_to {
        Some(to) => format!("{} {}", tr(lang, T::TransferredTo), state.name_of(to)),
        None => call_summary(lang, call),
    }
}

/// The sentence for a call direction.
pub fn direction_text(d: CallDirection) -> T {
    match d {
        CallDirection::Outbound => T::DirOutbound,
        CallDirection::Inbound => T::DirInbound,
    }
}

/// The language to speak: the mount config's first, then the host's, then the browser's, else English.
pub fn pick_language(config: Option<&str>, host: Option<Language>, browser: &[String]) -> Language {
    config
        .and_then(Language::from_tag)
        .or(host)
        .or_else(|| browser.iter().find_map(|t| Language::from_tag(t)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::CallOutcome;

    #[test]
    fn a_forwarded_call_says_where_it_went() {
        let ts = ucclient_core::api::Timestamp::from_unix(1_700_000_000, 0).unwrap();
        let mut call = Call {
            id: "c".into(),
            direction: CallDirection::Inbound,
            from: "+351210000001".into(),
            to: "201".into(),
            state: CallState::Ended,
            started_at: ts,
            answered_at: None,
            ended_at: Some(ts),
            context: None,
            internal: false,
            outcome: Some(CallOutcome::Forwarded),
            answered_on: None,
            forwarded_to: Some("+351912345678".into()),
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        };
        assert_eq!(
            call_outcome(Language::En, &call),
            "Forwarded to +351 912 345 678"
        );
        assert_eq!(
            call_summary(Language::PtPt, &call),
            "Reencaminhada para +351 912 345 678"
        );
        (call.forwarded_to, call.outcome) = (None, None);
        assert_eq!(call_outcome(Language::En, &call), "Call ended");
        assert_eq!(
            call_summary(Language::En, &call),
            "Call ended · not answered"
        );
        call.answered_at = ts.checked_add_seconds(-23);
        assert_eq!(call_summary(Language::En, &call), "Call ended · 0:23");
    }

    #[test]
    fn a_call_do_not_disturb_refused_is_missed_not_failed() {
        let ts = ucclient_core::api::Timestamp::from_unix(1_700_000_000, 0).unwrap();
        let mut call = Call {
            id: "c".into(),
            direction: CallDirection::Inbound,
            from: "+351210000001".into(),
            to: "201".into(),
            state: CallState::Failed,
            started_at: ts,
            answered_at: None,
            ended_at: Some(ts),
            context: None,
            internal: false,
            outcome: Some(CallOutcome::Missed),
            answered_on: None,
            forwarded_to: None,
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        };
        assert_eq!(call_summary(Language::En, &call), "Missed");
        assert_eq!(call_summary(Language::PtBr, &call), "Perdida");
        call.outcome = Some(CallOutcome::Declined);
        assert_eq!(call_summary(Language::PtPt, &call), "Rejeitada");
    }

    #[test]
    fn the_message_waiting_count_is_a_sentence_in_each_language() {
        assert_eq!(unheard_text(Language::En, 1), "1 new voicemail message");
        assert_eq!(unheard_text(Language::En, 2), "2 new voicemail messages");
        assert_eq!(unheard_text(Language::PtPt, 3), "3 mensagens de voz novas");
        assert_eq!(unheard_text(Language::PtBr, 1), "1 nova mensagem de voz");
    }

    #[test]
    fn every_sentence_exists_in_every_language() {
        for &k in T::ALL {
            for lang in Language::ALL {
                assert!(!tr(lang, k).trim().is_empty(), "{k:?} in {lang:?}");
            }
        }
        // Portuguese is really translated, not copied from English, for the sentences with words.
        assert_ne!(tr(Language::PtPt, T::SignIn), tr(Language::En, T::SignIn));
        assert_ne!(tr(Language::PtPt, T::SignIn), tr(Language::PtBr, T::SignIn));
    }

    #[test]
    fn language_comes_from_config_then_host_then_browser() {
        let browser = vec!["de-DE".to_owned(), "pt-BR".to_owned()];
        assert_eq!(
            pick_language(Some("pt-PT"), Some(Language::En), &browser),
            Language::PtPt
        );
        assert_eq!(
            pick_language(None, Some(Language::En), &browser),
            Language::En
        );
        assert_eq!(pick_language(Some("xx"), None, &browser), Language::PtBr);
        assert_eq!(pick_language(None, None, &[]), Language::En);
    }

    #[test]
    fn error_codes_map_to_sentences() {
        assert_eq!(error_text(None), T::ErrNetwork);
        assert_eq!(
            tr(
                Language::PtPt,
                error_text(Some(ErrorCode::InvalidCredentials))
            ),
            "Email ou palavra-passe errados."
        );
        assert_eq!(phone_error_text(&PhoneError::WrongLength), T::PhoneLength);
        // Codes a newer server sends read as `Other`: still a sentence, never the raw text.
        assert_eq!(
            tr(Language::PtBr, error_text(Some(ErrorCode::Other))),
            "A solicitação não foi concluída."
        );
        assert_eq!(
            tr(Language::PtPt, error_text(None)),
            "Não é possível contactar o servidor."
        );
    }

    #[test]
    fn an_error_detail_that_repeats_the_sentence_is_dropped() {
        assert!(!detail_adds(
            T::ErrInvalidCredentials,
            "wrong email or password"
        ));
        assert!(!detail_adds(T::ErrNetwork, " "));
        assert!(detail_adds(
            T::ErrInvalidSettings,
            "routing step 2 must name between 1 and 16 devices"
        ));
        assert!(detail_adds(T::ErrNetwork, "TypeError: Failed to fetch"));
    }

    #[test]
    fn device_kinds_are_named_in_the_agents_language() {
        let device = |kind, label: &str| Device {
            id: "d".into(),
            kind,
            label: label.into(),
            number: "201".into(),
        };
        let names = |lang| {
            [
                device(DeviceKind::Desk, "Desk phone"),
                device(DeviceKind::Softphone, "Softphone"),
                device(DeviceKind::Mobile, "Mobile"),
            ]
            .iter()
            .map(|d| device_name(lang, d).to_owned())
            .collect::<Vec<_>>()
            .join(" / ")
        };
        assert_eq!(
            names(Language::PtPt),
            "Telefone de secretária / Softphone / Telemóvel"
        );
        assert_eq!(
            names(Language::PtBr),
            "Telefone de mesa / Softphone / Celular"
        );
        assert_eq!(names(Language::En), "Desk phone / Softphone / Mobile");
        // A name the company chose stays as it is.
        let reception = device(DeviceKind::Desk, "Reception");
        assert_eq!(device_name(Language::PtPt, &reception), "Reception");
        let other = device(DeviceKind::Other, "Browser");
        assert_eq!(device_name(Language::PtBr, &other), "Browser");
    }
}
